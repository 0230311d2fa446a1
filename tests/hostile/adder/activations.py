# Right answers, plus a new graded cell worth 50 points that shows 50, a new locked cell and
# a graded cell with no name: they earn nothing, and the rest is graded as usual.
import numpy as np

NEW_CELLS = [
    {"after": "test_log_softmax", "source": "50",
     "nbgrader": {"grade": True, "grade_id": "bonus", "locked": False, "points": 50, "solution": False,
                  "schema_version": 3}},
    {"after": "setup", "source": "x = 1",
     "nbgrader": {"grade": False, "grade_id": "mine", "locked": True, "solution": False, "schema_version": 3}},
    {"after": "sigmoid", "source": "5", "nbgrader": {"grade": True, "points": 5}},
]
EXPECTED_NOTES = ["Cell `bonus` is not a cell of this assignment", "Cell `mine` is not a cell of this assignment",
                  "was marked for grading without a name"]


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
