# ada: correct, vectorised, with the state in dicts and Adam (and AdamW) written with m_hat and v_hat.
import numpy as np


class SGD:
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov needs momentum > 0 and dampening == 0")
        self.params = params
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.state = {}

    def step(self, grads):
        for i, p in enumerate(self.params):
            d_p = grads[i] + self.weight_decay * p
            if self.momentum:
                if i not in self.state:
                    self.state[i] = d_p.copy()
                else:
                    self.state[i] = self.momentum * self.state[i] + (1 - self.dampening) * d_p
                d_p = d_p + self.momentum * self.state[i] if self.nesterov else self.state[i]
            p -= self.lr * d_p


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params = params
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad
        self.steps = 0
        self.state = {i: {"m": np.zeros_like(p), "v": np.zeros_like(p), "vmax": np.zeros_like(p)}
                      for i, p in enumerate(params)}

    def step(self, grads):
        self.steps += 1
        b1, b2 = self.betas
        for i, p in enumerate(self.params):
            s = self.state[i]
            g = grads[i] + self.weight_decay * p
            s["m"] = b1 * s["m"] + (1 - b1) * g
            s["v"] = b2 * s["v"] + (1 - b2) * g ** 2
            if self.amsgrad:
                s["vmax"] = np.maximum(s["vmax"], s["v"])
            m_hat = s["m"] / (1 - b1 ** self.steps)
            v_hat = (s["vmax"] if self.amsgrad else s["v"]) / (1 - b2 ** self.steps)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _non_negative(**values):
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"Invalid {name}: {value}")


class RMSprop:
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        _non_negative(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        self.params = params
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered
        self.state = {i: {"sq": np.zeros_like(p), "mean": np.zeros_like(p), "buf": np.zeros_like(p)}
                      for i, p in enumerate(params)}

    def step(self, grads):
        for i, p in enumerate(self.params):
            s = self.state[i]
            g = grads[i] + self.weight_decay * p
            s["sq"] = self.alpha * s["sq"] + (1 - self.alpha) * g ** 2
            variance = s["sq"]
            if self.centered:
                s["mean"] = self.alpha * s["mean"] + (1 - self.alpha) * g
                variance = s["sq"] - s["mean"] ** 2
            direction = g / (np.sqrt(variance) + self.eps)
            if self.momentum > 0:
                s["buf"] = self.momentum * s["buf"] + direction
                direction = s["buf"]
            p -= self.lr * direction


class Adagrad:
    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        _non_negative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value, eps=eps)
        self.params = params
        self.lr, self.lr_decay, self.weight_decay, self.eps = lr, lr_decay, weight_decay, eps
        self.steps = 0
        self.state = {i: np.full(np.shape(p), initial_accumulator_value, dtype=np.asarray(p).dtype)
                      for i, p in enumerate(params)}

    def step(self, grads):
        self.steps += 1
        clr = self.lr / (1 + (self.steps - 1) * self.lr_decay)
        for i, p in enumerate(self.params):
            g = grads[i] + self.weight_decay * p
            self.state[i] = self.state[i] + g ** 2
            p -= clr * g / (np.sqrt(self.state[i]) + self.eps)


class AdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        _non_negative(lr=lr, eps=eps, weight_decay=weight_decay)
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Invalid betas: {betas}")
        self.params = params
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad
        self.steps = 0
        self.state = {i: {"m": np.zeros_like(p), "v": np.zeros_like(p), "vmax": np.zeros_like(p)}
                      for i, p in enumerate(params)}

    def step(self, grads):
        self.steps += 1
        b1, b2 = self.betas
        for i, p in enumerate(self.params):
            p *= 1 - self.lr * self.weight_decay
            s, g = self.state[i], grads[i]
            s["m"] = b1 * s["m"] + (1 - b1) * g
            s["v"] = b2 * s["v"] + (1 - b2) * g ** 2
            if self.amsgrad:
                s["vmax"] = np.maximum(s["vmax"], s["v"])
            m_hat = s["m"] / (1 - b1 ** self.steps)
            v_hat = (s["vmax"] if self.amsgrad else s["v"]) / (1 - b2 ** self.steps)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
