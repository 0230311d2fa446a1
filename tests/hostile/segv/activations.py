# softmax segfaults the kernel while it is being graded.
import numpy as np

EXPECTED_REASONS = {"test_softmax": "the kernel died", "test_log_softmax": "not run: the kernel died"}


def sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    import ctypes
    return ctypes.string_at(0)


def log_softmax(x, axis=-1):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
