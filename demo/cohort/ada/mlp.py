# ada: correct, vectorised: the backward pass reuses linear_backward and relu_backward, and
# train keeps torch's momentum buffers (b = mu b + g, updated in place).
import numpy as np



def linear(x, W, b):
    return x @ W.T + b


def linear_backward(x, W, grad_out):
    return grad_out @ W, grad_out.T @ x, grad_out.sum(axis=0)


def relu_backward(x, grad_out):
    return grad_out * (x > 0)


def mlp_loss_and_grads(x, targets, params):
    W1, b1, W2, b2 = params
    z = linear(x, W1, b1)
    h = np.maximum(z, 0)
    s = linear(h, W2, b2)
    s = s - s.max(axis=1, keepdims=True)
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_p[np.arange(n), targets].mean()
    ds = np.exp(log_p)
    ds[np.arange(n), targets] -= 1.0
    ds = ds / n
    dh, dW2, db2 = linear_backward(h, W2, ds)
    _, dW1, db1 = linear_backward(x, W1, relu_backward(z, dh))
    return loss, [dW1, db1, dW2, db2]


def train(x, targets, params, lr, steps, momentum=0.0):
    bufs = [np.zeros_like(p) for p in params]
    losses = []
    for _ in range(steps):
        loss, grads = mlp_loss_and_grads(x, targets, params)
        losses.append(loss)
        for p, buf, g in zip(params, bufs, grads):
            buf[...] = momentum * buf + g
            p -= lr * buf
    return np.array(losses)
