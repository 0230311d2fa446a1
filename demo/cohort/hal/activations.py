# hal: a broken notebook. A leftover debugging line at the top of the first solution cell
# calls sigmoid before it is defined, so that cell stops with a NameError and sigmoid (and
# sigmoid_grad, which uses it) never exist; the figure cell then fails with a traceback.
# softmax loops forever for any axis but the last (a `while` that never advances): those
# calls hit the 2 s time limit. log_softmax is right.
import numpy as np

print(sigmoid(np.array([0.0, 1.0])))  # noqa: F821 (the mistake: run before sigmoid exists)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    while axis % x.ndim != x.ndim - 1:   # move `axis` to the end... but never advances it
        x = np.swapaxes(x, axis, -1)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
