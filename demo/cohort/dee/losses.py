# dee: typical mistakes. The weighted mean divided by N (loses the weight points, in
# cross_entropy too, which reuses nll_loss), log(softmax) (loses stability only), the
# gradient of the summed loss, BCE without torch's clamp, the logits version through the
# sigmoid (both lose stability only), and 'mean' for kl_div's 'batchmean'.
import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def nll_loss(log_probs, targets, weight=None, reduction="mean"):
    n = len(targets)
    w = np.ones(log_probs.shape[1]) if weight is None else weight
    losses = -w[targets] * log_probs[np.arange(n), targets]
    if reduction == "none":
        return losses
    if reduction == "sum":
        return np.sum(losses)
    return np.sum(losses) / n


def cross_entropy(logits, targets, weight=None, reduction="mean"):
    return nll_loss(np.log(softmax(logits)), targets, weight, reduction)


def cross_entropy_grad(logits, targets):
    grad = softmax(logits)
    grad[np.arange(len(targets)), targets] -= 1
    return grad


def binary_cross_entropy(probs, targets, reduction="mean"):
    losses = -(targets * np.log(probs) + (1 - targets) * np.log(1 - probs))
    if reduction == "none":
        return losses
    return np.sum(losses) if reduction == "sum" else np.mean(losses)


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    return binary_cross_entropy(1 / (1 + np.exp(-logits)), targets, reduction)


def kl_div(log_q, p, reduction="batchmean"):
    pointwise = p * (np.log(np.where(p > 0, p, 1)) - log_q)
    if reduction == "none":
        return pointwise
    if reduction == "sum":
        return np.sum(pointwise)
    return np.mean(pointwise)
