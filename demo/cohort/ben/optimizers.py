# ben: correct in another style: one element at a time, in Python floats (float64), writing
# each new value back into the caller's array (p[idx] = ...), state kept in float64 arrays;
# AdamW as a subclass of Adam (no L2 term, a decoupled decay before Adam's step).
import numpy as np


class SGD:
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.velocity = [np.zeros(np.shape(p)) for p in params]
        self.started = False

    def step(self, grads):
        for p, g, buf in zip(self.params, grads, self.velocity):
            for idx in np.ndindex(p.shape):
                gi = float(g[idx]) + self.weight_decay * float(p[idx])
                if self.momentum != 0:
                    buf[idx] = gi if not self.started else self.momentum * buf[idx] + (1 - self.dampening) * gi
                    gi = gi + self.momentum * buf[idx] if self.nesterov else buf[idx]
                p[idx] = float(p[idx]) - self.lr * gi
        self.started = True


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params = params
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.t = 0
        self.moments = [(np.zeros(np.shape(p)), np.zeros(np.shape(p)), np.zeros(np.shape(p))) for p in params]

    def step(self, grads):
        self.t += 1
        for p, g, (m, v, vmax) in zip(self.params, grads, self.moments):
            for idx in np.ndindex(p.shape):
                gi = float(g[idx]) + self.weight_decay * float(p[idx])
                m[idx] += (1 - self.beta1) * (gi - m[idx])        # the same as beta1*m + (1-beta1)*g
                v[idx] = self.beta2 * v[idx] + (1 - self.beta2) * gi * gi
                vmax[idx] = max(vmax[idx], v[idx])
                second = vmax[idx] if self.amsgrad else v[idx]
                denom = (second / (1 - self.beta2 ** self.t)) ** 0.5 + self.eps
                p[idx] = float(p[idx]) - self.lr / (1 - self.beta1 ** self.t) * m[idx] / denom


def _refuse_negative(*values):
    if any(v < 0 for v in values):
        raise ValueError(f"hyper-parameters must not be negative: {values}")


class RMSprop:
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        _refuse_negative(lr, alpha, eps, weight_decay, momentum)
        self.params = params
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered
        self.averages = [(np.zeros(np.shape(p)), np.zeros(np.shape(p)), np.zeros(np.shape(p))) for p in params]

    def step(self, grads):
        for p, g, (sq, mean, buf) in zip(self.params, grads, self.averages):
            for idx in np.ndindex(p.shape):
                gi = float(g[idx]) + self.weight_decay * float(p[idx])
                sq[idx] = self.alpha * sq[idx] + (1 - self.alpha) * gi * gi
                mean[idx] = self.alpha * mean[idx] + (1 - self.alpha) * gi
                var = sq[idx] - mean[idx] ** 2 if self.centered else sq[idx]
                step = gi / (var ** 0.5 + self.eps)
                if self.momentum > 0:
                    buf[idx] = self.momentum * buf[idx] + step
                    step = buf[idx]
                p[idx] = float(p[idx]) - self.lr * step


class Adagrad:
    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        _refuse_negative(lr, lr_decay, weight_decay, initial_accumulator_value, eps)
        self.params = params
        self.lr, self.lr_decay, self.weight_decay, self.eps = lr, lr_decay, weight_decay, eps
        self.sums = [np.full(np.shape(p), float(initial_accumulator_value)) for p in params]
        self.done = 0                     # steps taken before this one

    def step(self, grads):
        rate = self.lr / (1 + self.done * self.lr_decay)
        for p, g, total in zip(self.params, grads, self.sums):
            for idx in np.ndindex(p.shape):
                gi = float(g[idx]) + self.weight_decay * float(p[idx])
                total[idx] += gi * gi
                p[idx] = float(p[idx]) - rate * gi / (total[idx] ** 0.5 + self.eps)
        self.done += 1


class AdamW(Adam):
    """Adam without its L2 term, after a decoupled decay of every param."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        _refuse_negative(lr, eps, weight_decay)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must be in [0, 1): {betas}")
        super().__init__(params, lr, betas, eps, 0.0, amsgrad)
        self.decoupled_decay = weight_decay

    def step(self, grads):
        for p in self.params:
            for idx in np.ndindex(p.shape):
                p[idx] = float(p[idx]) * (1 - self.lr * self.decoupled_decay)
        super().step(grads)
