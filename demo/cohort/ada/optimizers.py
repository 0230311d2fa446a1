# ada: correct, vectorised, with the state in dicts and Adam written with m_hat and v_hat.
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
