# Right answers, plus forged grading records made to crash the grader: a .npy header that claims
# 10**12 elements, JSON nested 100 000 deep, fields of the wrong type. Records are untrusted input:
# each bad one is ignored with a note, and the real record still grades every cell.
import base64
import io

import numpy as np
from IPython.display import display

EXPECTED_REASONS = {"test_sigmoid": "an unreadable grading record was ignored"}

_MIME = "application/vnd.dl-grader.record+json"
_sent = []


def _forge():
    buf = io.BytesIO()
    np.save(buf, np.zeros(3))
    header = buf.getvalue().replace(b"(3,)", b"(1000000,1000000)")   # same length: a valid header
    bomb = base64.b64encode(header).decode()
    for record in ({"version": 2, "outcomes": {"x#0": {"api": "sigmoid", "value": bomb}}},
                   "[" * 100_000 + "]" * 100_000,
                   {"version": 2, "outcomes": {"x#0": {"api": "sigmoid", "warnings": [[[["deep"]]]]}}}):
        display({_MIME: {"api": "sigmoid", "record": record}}, raw=True)


def sigmoid(x):
    if not _sent:
        _sent.append(1)
        _forge()
    x = np.asarray(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
