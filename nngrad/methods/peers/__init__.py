"""The frameworks people would use instead, as peers in the same run: each imports its package lazily
(only when a gradient is prepared) and is checked against nngrad's backprop before it is timed."""
