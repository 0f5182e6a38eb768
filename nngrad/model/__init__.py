"""The network: textbook layers, losses and the DNN over one flat parameter vector."""
