# eli: the log of log-probabilities in nll_loss, 'mean' that sums, the gradient's sign
# flipped, one BCE term picked with np.where (wrong for soft targets), a naive
# log(1 + exp(-z)) that overflows, and the reversed KL divergence KL(q || p).
import numpy as np


def log_softmax(x):
    z = x - np.max(x, axis=1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))


def nll_loss(log_probs, targets, weight=None, reduction="mean"):
    probs = log_probs[np.arange(len(targets)), targets]
    w = np.ones(log_probs.shape[1]) if weight is None else weight
    losses = -w[targets] * np.log(probs)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / w[targets].sum()


def cross_entropy(logits, targets, weight=None, reduction="mean"):
    w = np.ones(logits.shape[1]) if weight is None else weight
    losses = -w[targets] * log_softmax(logits)[np.arange(len(targets)), targets]
    return losses if reduction == "none" else losses.sum()


def cross_entropy_grad(logits, targets):
    one_hot = np.eye(logits.shape[1])[targets]
    return (one_hot - np.exp(log_softmax(logits))) / len(targets)


def binary_cross_entropy(probs, targets, reduction="mean"):
    with np.errstate(divide="ignore"):
        losses = -np.where(targets == 1, np.maximum(np.log(probs), -100), np.maximum(np.log(1 - probs), -100))
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    losses = (1 - targets) * logits + np.log(1 + np.exp(-logits))
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def kl_div(log_q, p, reduction="batchmean"):
    q = np.exp(log_q)
    pointwise = q * (log_q - np.log(p))
    if reduction == "none":
        return pointwise
    if reduction == "sum":
        return pointwise.sum()
    if reduction == "mean":
        return pointwise.mean()
    return pointwise.sum() / p.shape[0]
