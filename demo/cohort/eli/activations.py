# eli: the unstable sigmoid exp(x)/(1+exp(x)), the derivative applied to x, softmax that
# ignores `axis`, and a log-sum-exp without the max shift.
import numpy as np


def sigmoid(x):
    return np.exp(x) / (1 + np.exp(x))


def sigmoid_grad(x):
    return x * (1 - x)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x, axis=-1):
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))
