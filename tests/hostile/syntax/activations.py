# A syntax error in the sigmoid cell; the other functions are right.
import numpy as np

EXPECTED_REASONS = {"test_sigmoid": "`sigmoid` is not defined in the notebook"}
CELL_SOURCE = {"sigmoid": "def sigmoid(x)\n    return 1 / (1 + np.exp(-x))"}


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
