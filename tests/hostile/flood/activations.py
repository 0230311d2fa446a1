# Right answers, but the sigmoid cell prints 20 MB on one line and every call prints too.
import sys

import numpy as np


print("x" * 20_000_000)
print("y\n" * 100_000, file=sys.stderr)


def sigmoid(x):
    print("z" * 100_000)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
