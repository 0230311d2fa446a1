# Calls the reference instead of implementing it: no credit, with a message saying so.
import numpy as np

EXPECTED_REASONS = {"test_sigmoid": "torch is not available while grading",
                    "test_softmax": "scipy is not available while grading"}


def sigmoid(x):
    import torch
    return torch.sigmoid(torch.from_numpy(x)).numpy()


def sigmoid_grad(x):
    z = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return s * (1 - s)


def softmax(x, axis=-1):
    from scipy.special import softmax as reference
    return reference(x, axis=axis)


def log_softmax(x, axis=-1):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
