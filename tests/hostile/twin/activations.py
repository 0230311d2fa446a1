# Right answers, and an added cell that claims to be test_softmax (worth 100 points, printing
# 100) after the real one: the claimed cell is restored from the gradebook, 6 points at most.
import numpy as np

NEW_CELLS = [{"after": "test_softmax", "source": "100",
              "nbgrader": {"grade": True, "grade_id": "test_softmax", "locked": True, "points": 100,
                           "solution": False, "schema_version": 3}}]
EXPECTED_NOTES = ["Cell `test_softmax` appears 2 times"]


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
