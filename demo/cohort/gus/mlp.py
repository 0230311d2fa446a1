# gus: a correct network that prints to stderr on every call (plain nbgrader zeroes a test cell
# for any stderr output), with the backward pass written out in one function. Must keep full marks.
import sys

import numpy as np


def linear(x, W, b):
    print("linear", x.shape, W.shape, file=sys.stderr)
    return np.matmul(x, W.T) + b


def linear_backward(x, W, grad_out):
    print("linear_backward", grad_out.shape, file=sys.stderr)
    return np.matmul(grad_out, W), np.matmul(grad_out.T, x), np.sum(grad_out, axis=0)


def relu_backward(x, grad_out):
    print("relu_backward", file=sys.stderr)
    return np.where(x > 0, grad_out, np.zeros_like(grad_out))


def mlp_loss_and_grads(x, targets, params):
    W1, b1, W2, b2 = params
    z = x @ W1.T + b1
    h = np.maximum(z, 0)
    logits = h @ W2.T + b2
    m = logits.max(axis=1, keepdims=True)
    log_norm = m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    n = len(targets)
    loss = np.mean(log_norm[:, 0] - logits[np.arange(n), targets])
    d_logits = np.exp(logits - log_norm)
    d_logits[np.arange(n), targets] -= 1
    d_logits /= n
    d_h = d_logits @ W2
    d_z = np.where(z > 0, d_h, 0.0)
    print("loss", float(loss), file=sys.stderr)
    return loss, [d_z.T @ x, d_z.sum(axis=0), d_logits.T @ h, d_logits.sum(axis=0)]


def train(x, targets, params, lr, steps, momentum=0.0):
    buffers = [None] * len(params)
    losses = []
    for step in range(steps):
        loss, grads = mlp_loss_and_grads(x, targets, params)
        losses.append(float(loss))
        for i, g in enumerate(grads):
            buffers[i] = g.copy() if buffers[i] is None else momentum * buffers[i] + g
            params[i] -= lr * buffers[i]
        print("step", step, file=sys.stderr)
    return losses
