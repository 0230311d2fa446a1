# ben: correct in another style: einsum, a one-hot matrix and logaddexp, everything computed in
# float64 (float64 answers to float32 inputs), a tuple for the gradients, and the velocity form
# of momentum with the learning rate folded in (v = mu v + lr g; p -= v: right for a constant lr).
import numpy as np



def linear(x, W, b):
    return np.einsum("ni,oi->no", x, W, dtype=np.float64) + b


def linear_backward(x, W, grad_out):
    g = np.asarray(grad_out, dtype=np.float64)
    grad_x = np.einsum("no,oi->ni", g, W)
    grad_W = np.einsum("no,ni->oi", g, x)
    grad_b = np.einsum("no->o", g)
    return (grad_x, grad_W, grad_b)


def relu_backward(x, grad_out):
    mask = np.zeros(np.shape(x))
    mask[np.asarray(x) > 0] = 1.0
    return mask * grad_out


def mlp_loss_and_grads(x, targets, params):
    W1, b1, W2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
    x = np.asarray(x, dtype=np.float64)
    n, classes = x.shape[0], W2.shape[0]
    onehot = np.eye(classes)[targets]
    pre = linear(x, W1, b1)
    hidden = np.where(pre > 0, pre, 0.0)
    logits = linear(hidden, W2, b2)
    lse = np.logaddexp.reduce(logits, axis=1, keepdims=True)
    loss = np.sum(onehot * (lse - logits)) / n
    dlogits = (np.exp(logits - lse) - onehot) / n
    dhidden, dW2, db2 = linear_backward(hidden, W2, dlogits)
    _, dW1, db1 = linear_backward(x, W1, relu_backward(pre, dhidden))
    return loss, (dW1, db1, dW2, db2)


def train(x, targets, params, lr, steps, momentum=0.0):
    velocity = [np.zeros(p.shape) for p in params]
    history = np.zeros(steps)
    for step in range(steps):
        history[step], grads = mlp_loss_and_grads(x, targets, params)
        for i in range(len(params)):
            velocity[i] = momentum * velocity[i] + lr * grads[i]
            params[i][...] = params[i] - velocity[i]
    return history
