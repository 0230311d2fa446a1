# dee: typical mistakes. A naive sigmoid that is right but warns about overflow (must keep
# full marks), softmax over axis 0, and log(softmax) for log_softmax (loses stability only);
# relu as x * (x > 0), np.maximum(slope * x, x), alpha * exp(x) - 1, softplus without its
# threshold, GELU always in its tanh form.
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def log_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return np.log(e / np.sum(e, axis=axis, keepdims=True))


def tanh(x):
    return np.tanh(x)


def relu(x):
    return x * (x > 0)            # NaN at -inf


def leaky_relu(x, negative_slope=0.01):
    return np.maximum(negative_slope * x, x)     # wrong for slopes above 1


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.exp(x) - 1)     # alpha * (exp(x) - 1)


def softplus(x, beta=1.0, threshold=20.0):
    return np.logaddexp(0, beta * x) / beta      # no threshold


def gelu(x, approximate="none"):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))   # always the tanh form
