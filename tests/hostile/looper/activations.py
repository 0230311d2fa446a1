# sigmoid_grad loops forever (each call is stopped after 2 s); log_softmax loops forever and
# swallows every exception, even the interrupt, so the kernel never answers again.
import numpy as np

EXPECTED_REASONS = {"test_sigmoid_grad": "timed out: no answer within 2 s",
                    "test_log_softmax": "no answers were recorded"}


def sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    while True:
        pass


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
