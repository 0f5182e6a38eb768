"""A bag-of-words text classifier (fastText's shape) as one class in *Deep Learning from Scratch*'s style: an
embedding table ``E`` (V, D) looked up with integer word ids (N, T), the embeddings averaged over the T positions,
a linear layer ``W`` (D, C), ``b`` (C,) on the average; ``forward(ids)`` returns the scores (N, C),
``backward(dout)`` leaves ``dE``, ``dW``, ``db`` and returns nothing (the ids have no gradient). The masked variant
takes ``forward(ids, mask)`` with a boolean mask (N, T) of the real tokens (False: padding) and averages over those.

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

import json

import numpy as np

from .case import Case


class BagOfWords:
    def __init__(self, vocab_size=10, embed_dim=3, num_classes=2):
        self.E = 0.1 * np.random.randn(vocab_size, embed_dim)
        self.W = 0.1 * np.random.randn(embed_dim, num_classes)
        self.b = np.zeros(num_classes)
        self.dE, self.dW, self.db = None, None, None

    def forward(self, ids):
        self.ids = ids
        self.h = self.E[ids].mean(axis=1)
        return self.h @ self.W + self.b

    def backward(self, dout):
        self.dW = self.h.T @ dout
        self.db = dout.sum(axis=0)
        dh = dout @ self.W.T
        T = self.ids.shape[1]
        demb = np.repeat(dh[:, None, :] / T, T, axis=1)
        self.dE = np.zeros_like(self.E)
        np.add.at(self.dE, self.ids, demb)


class BagOfWordsNoMean(BagOfWords):
    def backward(self, dout):
        self.dW = self.h.T @ dout
        self.db = dout.sum(axis=0)
        dh = dout @ self.W.T
        T = self.ids.shape[1]
        demb = np.repeat(dh[:, None, :], T, axis=1)  # BUG: the mean's 1 / T over the time steps is missing
        self.dE = np.zeros_like(self.E)
        np.add.at(self.dE, self.ids, demb)


class MaskedBagOfWords(BagOfWords):
    def forward(self, ids, mask):
        self.ids, self.mask = ids, mask
        self.count = np.maximum(mask.sum(axis=1, keepdims=True), 1)
        self.h = (self.E[ids] * mask[:, :, None]).sum(axis=1) / self.count
        return self.h @ self.W + self.b

    def backward(self, dout):
        self.dW = self.h.T @ dout
        self.db = dout.sum(axis=0)
        dh = dout @ self.W.T
        demb = (dh / self.count)[:, None, :] * self.mask[:, :, None]
        self.dE = np.zeros_like(self.E)
        np.add.at(self.dE, self.ids, demb)


class MaskedBagOfWordsDividesByT(MaskedBagOfWords):
    def backward(self, dout):
        self.dW = self.h.T @ dout
        self.db = dout.sum(axis=0)
        dh = dout @ self.W.T
        demb = (dh / self.ids.shape[1])[:, None, :] * self.mask[:, :, None]  # BUG: / T, not / the real tokens' count
        self.dE = np.zeros_like(self.E)
        np.add.at(self.dE, self.ids, demb)


# ---------------------------------------------------------------- the cases

KW = {"vocab_size": 10, "embed_dim": 3, "num_classes": 2}
N, T = 4, 6


def _randomise(model, rng):
    model.E, model.W, model.b = (rng.standard_normal(a.shape) for a in (model.E, model.W, model.b))
    return model


def bow(cls):
    def make(rng):
        np.random.seed(int(rng.integers(2 ** 31)))
        ids = rng.integers(0, KW["vocab_size"], (N, T))
        ids[0, :3] = 7  # a word three times in one sentence
        return (_randomise(cls(**KW), rng), ids), {}
    return make


def masked(cls):
    def make(rng):
        np.random.seed(int(rng.integers(2 ** 31)))
        ids = rng.integers(0, KW["vocab_size"], (N, T))
        mask = np.ones((N, T), dtype=bool)
        mask[0, 4:], mask[2, 2:] = False, False  # padded sentences of 4 and 2 tokens
        mask[3] = rng.random(T) < 0.5
        return (_randomise(cls(**KW), rng), (ids, mask)), {}
    return make


def cli(cls, *shapes):
    return ("--layer", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps(KW), "--shapes", *shapes)


IDS = f"{N},{T}:int<{KW['vocab_size']}"
MASK = f"{N},{T}:bool"
S = "bow-classifier"
CASES = [
    # --- correct
    Case("r2_bow.BagOfWords", S, "layer", bow(BagOfWords), cli=cli(BagOfWords, IDS)),
    Case("r2_bow.MaskedBagOfWords", S, "layer", masked(MaskedBagOfWords), cli=cli(MaskedBagOfWords, IDS, MASK)),
    # --- buggy
    Case("r2_bow.BagOfWords.no_mean", S, "layer", bow(BagOfWordsNoMean),
         bug="dE misses the mean's 1 / T: T times too large (dW, db right)", names=("scaled",),
         cli=cli(BagOfWordsNoMean, IDS)),
    Case("r2_bow.MaskedBagOfWords.divides_by_T", S, "layer", masked(MaskedBagOfWordsDividesByT),
         bug="dE divides by T instead of each sentence's count of real tokens: wrong for the padded sentences",
         names=("located", "scaled"), cli=cli(MaskedBagOfWordsDividesByT, IDS, MASK)),
]
