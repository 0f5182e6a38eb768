"""Losses from detection and self-supervised papers, written as functions ``loss_fn(...) -> (loss, grad, ...)``
over plain arrays, the way a learner rewrites them from a paper or a framework's source: a Smooth-L1 box
regression head over the positive anchors only (Fast R-CNN), a masked language model's cross-entropy over a random
subset of positions (BERT), a mixup loss between two label sets, a KL divergence between two softmaxes (knowledge
distillation), and a cross-entropy with an entropy bonus (a policy's or a confident classifier's regulariser).
Integer arrays (labels, token ids) and boolean masks are inputs the loss is not differentiated in; the gradients
come back in the order of the float inputs.

A buggy variant is a second function with the one line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


# ---------------------------------------------------------------- Smooth-L1 box regression over positive anchors

def box_loss(pred, target, positive, beta=0.5):
    """sum over positive anchors and the 4 coordinates of smooth_l1(pred - target), / number of positives.
    pred, target: (N, 4) box deltas; positive: (N,) bool (anchors matched to an object)."""
    num_pos = max(int(positive.sum()), 1)
    d = (pred - target) * positive[:, None]
    ad = np.abs(d)
    per = np.where(ad < beta, 0.5 * d ** 2 / beta, ad - 0.5 * beta)
    loss = per.sum() / num_pos
    dd = np.where(ad < beta, d / beta, np.sign(d))
    dpred = dd * positive[:, None] / num_pos
    return loss, dpred


def box_loss_beta_dropped(pred, target, positive, beta=0.5):
    num_pos = max(int(positive.sum()), 1)
    d = (pred - target) * positive[:, None]
    ad = np.abs(d)
    per = np.where(ad < beta, 0.5 * d ** 2 / beta, ad - 0.5 * beta)
    loss = per.sum() / num_pos
    dd = np.where(ad < beta, d, np.sign(d))  # BUG: the quadratic part's derivative is d / beta, not d
    dpred = dd * positive[:, None] / num_pos
    return loss, dpred


# ---------------------------------------------------------------- masked language model loss

def mlm_loss(logits, targets, mask):
    """cross-entropy at the masked positions only, averaged over them. logits: (B, T, V); targets: (B, T) int token
    ids; mask: (B, T) bool (the positions BERT replaced by [MASK])."""
    n = max(int(mask.sum()), 1)
    logp = _log_softmax(logits)
    B, T, _ = logits.shape
    bi, ti = np.meshgrid(np.arange(B), np.arange(T), indexing="ij")
    nll = -logp[bi, ti, targets]
    loss = (nll * mask).sum() / n
    dlogits = np.exp(logp)
    dlogits[bi, ti, targets] -= 1
    dlogits *= mask[:, :, None] / n
    return loss, dlogits


def mlm_loss_unmasked_grad(logits, targets, mask):
    n = max(int(mask.sum()), 1)
    logp = _log_softmax(logits)
    B, T, _ = logits.shape
    bi, ti = np.meshgrid(np.arange(B), np.arange(T), indexing="ij")
    nll = -logp[bi, ti, targets]
    loss = (nll * mask).sum() / n
    dlogits = np.exp(logp)
    dlogits[bi, ti, targets] -= 1
    dlogits /= n  # BUG: the mask is applied in forward but not here: every position gets a gradient
    return loss, dlogits


# ---------------------------------------------------------------- mixup

def mixup_loss(logits, y_a, y_b, lam):
    """lam * CE(logits, y_a) + (1 - lam) * CE(logits, y_b), mean over the batch. logits: (N, C); y_a, y_b: (N,)
    int labels of the two mixed samples; lam: the mixing weight (a float)."""
    N = logits.shape[0]
    logp = _log_softmax(logits)
    r = np.arange(N)
    loss = -(lam * logp[r, y_a] + (1 - lam) * logp[r, y_b]).mean()
    dlogits = np.exp(logp)
    dlogits[r, y_a] -= lam
    dlogits[r, y_b] -= 1 - lam
    return loss, dlogits / N


def mixup_loss_swapped_lam(logits, y_a, y_b, lam):
    N = logits.shape[0]
    logp = _log_softmax(logits)
    r = np.arange(N)
    loss = -(lam * logp[r, y_a] + (1 - lam) * logp[r, y_b]).mean()
    dlogits = np.exp(logp)
    dlogits[r, y_a] -= 1 - lam  # BUG: the two weights swapped: y_a's target weight is lam, y_b's is 1 - lam
    dlogits[r, y_b] -= lam
    return loss, dlogits / N


# ---------------------------------------------------------------- KL divergence between two softmaxes

def kl_div(p_logits, q_logits):
    """mean over rows of KL(p || q) = sum p (log p - log q), p = softmax(p_logits), q = softmax(q_logits);
    both (N, C). Returns the gradients w.r.t. both logits."""
    N = p_logits.shape[0]
    logp, logq = _log_softmax(p_logits), _log_softmax(q_logits)
    p, q = np.exp(logp), np.exp(logq)
    kl_rows = np.sum(p * (logp - logq), axis=1, keepdims=True)
    loss = kl_rows.sum() / N
    dp_logits = p * (logp - logq - kl_rows) / N
    dq_logits = (q - p) / N
    return loss, dp_logits, dq_logits


def kl_div_wrong_distribution(p_logits, q_logits):
    N = p_logits.shape[0]
    logp, logq = _log_softmax(p_logits), _log_softmax(q_logits)
    p, q = np.exp(logp), np.exp(logq)
    kl_rows = np.sum(p * (logp - logq), axis=1, keepdims=True)
    loss = kl_rows.sum() / N
    dp_logits = (p - q) / N  # BUG: the cross-entropy form, which is q's gradient (with its sign), used for p's logits
    dq_logits = (q - p) / N
    return loss, dp_logits, dq_logits


# ---------------------------------------------------------------- cross-entropy with an entropy bonus

def ce_entropy_bonus(logits, y, beta):
    """mean CE(logits, y) - beta * mean H(softmax(logits)): a bonus for keeping the distribution spread.
    logits: (N, C); y: (N,) int; beta: a float."""
    N = logits.shape[0]
    logp = _log_softmax(logits)
    p = np.exp(logp)
    H = -np.sum(p * logp, axis=1, keepdims=True)
    loss = -logp[np.arange(N), y].mean() - beta * H.mean()
    dlogits = p.copy()
    dlogits[np.arange(N), y] -= 1
    dH = -p * (logp + H)  # dH/dlogits: through the softmax
    dlogits -= beta * dH
    return loss, dlogits / N


def ce_entropy_bonus_not_chained(logits, y, beta):
    N = logits.shape[0]
    logp = _log_softmax(logits)
    p = np.exp(logp)
    H = -np.sum(p * logp, axis=1, keepdims=True)
    loss = -logp[np.arange(N), y].mean() - beta * H.mean()
    dlogits = p.copy()
    dlogits[np.arange(N), y] -= 1
    dH = -(logp + 1)  # BUG: dH/dp, the softmax's Jacobian not applied: the gradient w.r.t. p, not the logits
    dlogits -= beta * dH
    return loss, dlogits / N


# ---------------------------------------------------------------- the cases

def boxes(fn, N=12):
    def make(rng):
        positive = rng.random(N) < 0.5
        positive[:2] = (True, False)  # both kinds of anchor in every draw
        return (fn, rng.standard_normal((N, 4)), rng.standard_normal((N, 4)), positive, 0.5), {}
    return make


def masked(fn, B=2, T=5, V=6):
    def make(rng):
        mask = rng.random((B, T)) < 0.4
        mask[0, :2] = (True, False)
        return (fn, rng.standard_normal((B, T, V)), rng.integers(0, V, (B, T)), mask), {}
    return make


def mixup(fn, N=6, C=4):
    def make(rng):
        y_a = rng.integers(0, C, N)
        y_b = (y_a + 1 + rng.integers(0, C - 1, N)) % C  # two different labels: a mixup of two classes
        return (fn, rng.standard_normal((N, C)), y_a, y_b, 0.7), {}
    return make


def two_logits(fn, N=5, C=4):
    return lambda rng: ((fn, rng.standard_normal((N, C)), rng.standard_normal((N, C))), {})


def entropy(fn, N=6, C=4):
    return lambda rng: ((fn, rng.standard_normal((N, C)), rng.integers(0, C, N), 0.3), {})


def cli(fn, *shapes):
    return ("--loss-fn", f"{{file}}:{fn.__name__}", "--shapes", *shapes)


S = "det-ssl-losses"
BOX = ("12,4", "12,4", "12:bool", "0.5")
MLM = ("2,5,6", "2,5:int<6", "2,5:bool")
MIX = ("6,4", "6:int<4", "6:int<4", "0.7")
ENT = ("6,4", "6:int<4", "0.3")
CASES = [
    # --- correct
    Case("r4_detlosses.box_loss", S, "loss", boxes(box_loss), cli=cli(box_loss, *BOX)),
    Case("r4_detlosses.mlm_loss", S, "loss", masked(mlm_loss), cli=cli(mlm_loss, *MLM)),
    Case("r4_detlosses.mixup_loss", S, "loss", mixup(mixup_loss), cli=cli(mixup_loss, *MIX)),
    Case("r4_detlosses.kl_div", S, "loss", two_logits(kl_div), cli=cli(kl_div, "5,4", "5,4")),
    Case("r4_detlosses.ce_entropy_bonus", S, "loss", entropy(ce_entropy_bonus), cli=cli(ce_entropy_bonus, *ENT)),
    # --- buggy
    Case("r4_detlosses.box_loss.beta_dropped", S, "loss", boxes(box_loss_beta_dropped),
         bug="inside |d| < beta the derivative is d, not d / beta: beta times too small there, right on the "
             "linear part and at the negative anchors", names=("located", "derivative"),
         cli=cli(box_loss_beta_dropped, *BOX)),
    Case("r4_detlosses.mlm_loss.unmasked_grad", S, "loss", masked(mlm_loss_unmasked_grad),
         bug="the mask over positions applied in forward, not in backward: the unmasked positions get a gradient",
         names=("located",), cli=cli(mlm_loss_unmasked_grad, *MLM)),
    Case("r4_detlosses.mixup_loss.swapped_lam", S, "loss", mixup(mixup_loss_swapped_lam),
         bug="the weights lam and 1 - lam swapped in backward: wrong only at the columns y_a and y_b",
         names=("located",), cli=cli(mixup_loss_swapped_lam, *MIX)),
    Case("r4_detlosses.kl_div.wrong_distribution", S, "loss", two_logits(kl_div_wrong_distribution),
         bug="KL's gradient for p's logits written as p - q, the form (and sign) of q's gradient; dq right",
         names=("split", "located", "derivative"), cli=cli(kl_div_wrong_distribution, "5,4", "5,4")),
    Case("r4_detlosses.ce_entropy_bonus.not_chained", S, "loss", entropy(ce_entropy_bonus_not_chained),
         bug="the entropy's gradient taken w.r.t. the probabilities (-(log p + 1)), not chained through the softmax",
         names=("derivative", "located", "missing-term"), cli=cli(ce_entropy_bonus_not_chained, *ENT)),
]
