# Right answers, but the log_softmax cell ends the kernel with os._exit: what was graded before
# keeps its points, the rest scores 0 with the reason.
import numpy as np

EXPECTED_REASONS = {"test_log_softmax": "the kernel died"}
CELL_SOURCE = {"log_softmax": "import os\nos._exit(3)"}


def sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
