# Right answers; the sigmoid solution cell was marked as graded, worth 10 points: its
# settings are restored from the gradebook (a solution cell), and the cells graded as usual.
import numpy as np

CELL_NBGRADER = {"sigmoid": {"grade": True, "points": 10}}
EXPECTED_NOTES = ["The grading settings of cell `sigmoid` were changed"]


def sigmoid(x):
    x = np.asarray(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
