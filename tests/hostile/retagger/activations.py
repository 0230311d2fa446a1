# Right answers; test_softmax's nbgrader metadata was changed to a solution cell worth 0
# points (and unlocked): the test cell is restored from the gradebook and graded, 6 points.
import numpy as np

CELL_NBGRADER = {"test_softmax": {"solution": True, "grade": True, "points": 0, "locked": False}}
EXPECTED_NOTES = ["The grading settings of cell `test_softmax` were changed"]


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
