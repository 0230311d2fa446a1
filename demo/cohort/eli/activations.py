# eli: the unstable sigmoid exp(x)/(1+exp(x)), the derivative applied to x, softmax that
# ignores `axis`, and a log-sum-exp without the max shift.
import numpy as np

EXPECTED_SCORES = {"test_sigmoid": 3, "test_sigmoid_grad": 0, "test_softmax": 4, "test_log_softmax": 4}


def sigmoid(x):
    return np.exp(x) / (1 + np.exp(x))


def sigmoid_grad(x):
    return x * (1 - x)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x, axis=-1):
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))
