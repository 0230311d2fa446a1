# dee: typical mistakes. A ReLU mask made with >= (right except where a pre-activation is
# exactly 0: loses relu_backward's zero point, and the hidden layer's gradients through it)
# and the losses recorded after each step instead of before it (the curve checks fail; the
# params after training are right).
import numpy as np



def linear(x, W, b):
    return x @ W.T + b


def linear_backward(x, W, grad_out):
    return grad_out @ W, grad_out.T @ x, grad_out.sum(axis=0)


def relu_backward(x, grad_out):
    return grad_out * (x >= 0)


def mlp_loss_and_grads(x, targets, params):
    W1, b1, W2, b2 = params
    z = linear(x, W1, b1)
    h = np.maximum(z, 0)
    s = linear(h, W2, b2)
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    n = len(x)
    loss = -np.mean(s[np.arange(n), targets] - np.log(np.exp(s).sum(axis=1)))
    ds = p.copy()
    ds[np.arange(n), targets] -= 1
    ds /= n
    dh, dW2, db2 = linear_backward(h, W2, ds)
    _, dW1, db1 = linear_backward(x, W1, relu_backward(z, dh))
    return loss, [dW1, db1, dW2, db2]


def train(x, targets, params, lr, steps, momentum=0.0):
    velocity = [np.zeros_like(p) for p in params]
    losses = []
    for _ in range(steps):
        _, grads = mlp_loss_and_grads(x, targets, params)
        for p, v, g in zip(params, velocity, grads):
            v *= momentum
            v += g
            p -= lr * v
        losses.append(mlp_loss_and_grads(x, targets, params)[0])
    return losses
