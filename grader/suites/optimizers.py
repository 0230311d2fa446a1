"""Checks for the optimizers assignment: the classes SGD and Adam, against torch.optim.

Each case is a run (grader.engine.driver): params, the constructor's hyper-parameters, the gradients
of every step (given, or computed from the current params on a loss surface) and an optional
learning-rate schedule. The student's class and torch's play the same run and their params
are compared after every step; a report names the first step and param where they part.

Every case uses two or more param arrays of different shapes, float64 and float32. The grid
is built to tell apart the variants that agree on an easy problem (a single quadratic with
default settings passes several wrong Adams): each option check turns on one option on top
of momentum (SGD) or ordinary gradients (Adam) and leaves the others at their defaults, so a
mistake in one option costs that option's points only.
- dampening != 0, where a zero-initialised momentum buffer differs from torch's buf = g;
- nesterov, weight decay with momentum (coupled L2 vs decoupled "AdamW style" decay);
- the learning rate changed mid-run (a velocity that folds lr in matches only while lr is
  constant; an lr read once at construction ignores the change);
- eps 0.1 on ordinary gradients, and eps 1e-6 / 1e-8 with gradients of the same size or
  smaller (eps inside the sqrt, or before bias correction, agree with torch within
  tolerance on ordinary gradients with the default eps, so other cases keep them ordinary);
- amsgrad with gradients that shrink, so the raw second moment decreases;
- exact zero gradients (no eps: 0/0);
- bias correction is visible from the first step with any settings.
"""
import dataclasses

import numpy as np

from grader.engine.compare import assert_raises, assert_trajectory_close, assert_updated_in_place
from grader.engine.mistakes import NOT_IN_PLACE, mistake
from grader.suites import Case, cases, graded, normal, shape, signs, uniform

F64, F32 = np.float64, np.float32


@dataclasses.dataclass(frozen=True)
class Vary:
    """A hyper-parameter (or a new learning rate) drawn from `low` to `high` for each run."""
    low: float
    high: float


def _draw(rng, value):
    """`value` with every Vary in it drawn (a Python float, as a student's code would get)."""
    if isinstance(value, Vary):
        return float(uniform(rng, value.low, value.high))
    if isinstance(value, tuple):
        return tuple(_draw(rng, v) for v in value)
    return value


def two_shapes(rng):
    """Two param arrays of different shapes: a vector and a matrix."""
    return [shape(rng, 1, 2, 5), shape(rng, 2, 2, 4)]


def contract_shapes(rng):
    """Four params: a matrix, a vector, a 0-d one and a 3-D one."""
    return [shape(rng, 2, 2, 4), shape(rng, 1, 2, 5), (), (1, *shape(rng, 2, 2, 3))]


def make_grads(rng, params, scales, zero=None):
    """One list of gradients per step, like the params, of size `scales[k]` at step k (times
    one factor from 0.7 to 1.4 for the whole run). `zero` masks entries (and whole params)
    whose gradient is exactly 0 at every step."""
    factor = float(uniform(rng, 0.7, 1.4))
    steps = []
    for scale in scales:
        # sizes within a factor of 3 of `scale`: no accidental tiny entries, so eps only
        # matters where a case makes it matter
        grads = [(scale * factor * signs(rng, p.shape) * uniform(rng, 0.5, 1.5, p.shape)).astype(p.dtype)
                 for p in params]
        if zero is not None:
            grads = [np.where(z, 0, g).astype(g.dtype) for g, z in zip(grads, zero)]
        steps.append(grads)
    return steps


def _frozen(rng, params):
    """Where gradients are exactly 0: some entries of the first param (not all), all of the
    second (a frozen param)."""
    first = np.zeros(params[0].shape, bool)
    first[rng.permutation(first.size)[:max(1, first.size // 2)]] = True
    return [first] + [np.ones(p.shape, bool) for p in params[1:]]


def run(case_id, hyper, scales=(1.0, 2.0, 0.5, 1.5), dtype=F64, schedule=None, shapes=two_shapes, zero=False,
        size=1.0):
    """A case of one run: random params of `shapes(rng)`, given gradients of the sizes in
    `scales` (times `size`), constructor arguments `hyper` and learning-rate `schedule`
    ({step: lr}), with every Vary in them drawn."""
    def draw(rng):
        params = [normal(rng, s, 1.0, dtype) for s in shapes(rng)]
        grads = make_grads(rng, params, [size * s for s in scales], _frozen(rng, params) if zero else None)
        return params, _draw(rng, tuple(hyper)), grads, _schedule(rng, schedule)
    return Case(case_id, draw)


def _schedule(rng, schedule):
    return None if schedule is None else {step: _draw(rng, lr) for step, lr in schedule.items()}


NEAR = (np.array([-1.2, 1.0]), np.array([[0.5, -0.5], [1.5, 0.3]]))


def on_surface(case_id, hyper, surface, steps, dtype=F64, schedule=None, start=NEAR):
    """A run that computes each step's gradients from the current params (a training path),
    from a random start 0.05 to 0.35 away from `start` in every coordinate (two params: a vector
    and a matrix). Never closer: NEAR has a coordinate at the quadratic bowl's minimum, and a start
    within 1e-4 of it made gradients so small that eps decided a check not meant for eps (seed 30:
    Adagrad's eps inside the sqrt failed the lr_decay check)."""
    def draw(rng):
        params = [p + signs(rng, p.shape) * uniform(rng, 0.05, 0.35, p.shape) for p in start]
        return [p.astype(dtype) for p in params], _draw(rng, tuple(hyper)), (surface, steps), _schedule(rng, schedule)
    return Case(case_id, draw)


def follows_torch(student_run, ref_run, params, hyper, grads, schedule):
    """The shared body of the value checks: the same params as torch after every step."""
    got = student_run(params, hyper, grads, schedule)
    want = ref_run(params, hyper, grads, schedule)
    assert_trajectory_close(got, want)
    return got, want


SHRINKING = (1.0, 0.01, 0.01, 0.01, 0.01, 0.01)   # the second moment decreases after step 1
LR = Vary(0.05, 0.15)
MOMENTUM = Vary(0.8, 0.95)

# --- SGD -------------------------------------------------------------------------------

SGD_VALUES = [
    run("float64-plain", (LR,)),
    run("float32-plain", (LR,), dtype=F32),
    run("float64-momentum", (LR, MOMENTUM)),
    run("float32-momentum", (Vary(0.03, 0.07), MOMENTUM), dtype=F32),
    on_surface("float64-momentum-quadratic-30-steps", (Vary(0.015, 0.025), MOMENTUM), "quadratic", 30),
]
SGD_DAMPENING = [
    run("float64-dampening", (LR, MOMENTUM, Vary(0.3, 0.7))),
    run("float32-dampening", (LR, MOMENTUM, Vary(0.3, 0.7)), dtype=F32),
    on_surface("float64-dampening-quadratic-20-steps", (Vary(0.015, 0.025), MOMENTUM, Vary(0.05, 0.2)),
               "quadratic", 20),
]
SGD_NESTEROV = [
    run("float64-nesterov", (LR, MOMENTUM, 0.0, 0.0, True)),
    run("float32-nesterov", (LR, MOMENTUM, 0.0, 0.0, True), dtype=F32),
    on_surface("float64-nesterov-quadratic-20-steps", (Vary(0.015, 0.025), MOMENTUM, 0.0, 0.0, True),
               "quadratic", 20),
]
SGD_WEIGHT_DECAY = [
    run("float64-wd", (LR, 0.0, 0.0, Vary(0.05, 0.2))),
    run("float64-wd-momentum", (LR, MOMENTUM, 0.0, Vary(0.05, 0.2))),
    run("float32-wd-momentum", (LR, MOMENTUM, 0.0, Vary(0.03, 0.1)), dtype=F32),
]
SGD_SCHEDULE = [
    run("float64-lr-changed-at-step-3", (LR, MOMENTUM), scales=(1.0,) * 6,
        schedule={3: Vary(0.005, 0.02), 5: Vary(0.2, 0.4)}),
    run("float32-lr-changed-at-step-2", (LR, MOMENTUM), scales=(1.0,) * 5, dtype=F32, schedule={2: Vary(0.3, 0.6)}),
    run("float64-no-momentum-lr-changed", (LR,), scales=(1.0,) * 4, schedule={3: Vary(0.01, 0.03)}),
]
SGD_CONTRACT = [
    run("float32-4-params-0d-and-3d", (LR, MOMENTUM), shapes=contract_shapes, dtype=F32),
    run("float64-4-params-0d-and-3d", (LR,), shapes=contract_shapes),
]
SGD_INVALID = [
    run("nesterov-without-momentum", (LR, 0.0, 0.0, 0.0, True), scales=(1.0,)),
    run("nesterov-with-dampening", (LR, MOMENTUM, Vary(0.3, 0.7), 0.0, True), scales=(1.0,)),
]


@graded("SGD", points=2, category="values", public=True)
@cases(*SGD_VALUES)
def test_SGD_values(student, ref, params, hyper, grads, schedule):
    """matches torch.optim.SGD step by step, without and with momentum"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="options")
@cases(*SGD_DAMPENING)
def test_SGD_dampening(student, ref, params, hyper, grads, schedule):
    """dampening != 0: the first step's buffer is the gradient itself, undamped"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="options")
@cases(*SGD_NESTEROV)
def test_SGD_nesterov(student, ref, params, hyper, grads, schedule):
    """nesterov=True: steps along g + momentum * (updated buffer)"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="options")
@cases(*SGD_WEIGHT_DECAY)
def test_SGD_weight_decay(student, ref, params, hyper, grads, schedule):
    """weight_decay adds wd * p to the gradient before momentum (L2, as torch does)"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="options")
@cases(*SGD_SCHEDULE)
def test_SGD_lr_schedule(student, ref, params, hyper, grads, schedule):
    """a new opt.lr set between steps applies from the next step, as in torch"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="contract")
@cases(*SGD_CONTRACT)
def test_SGD_contract(student, ref, params, hyper, grads, schedule):
    """updates the caller's param arrays in place, for params of any shape (0-d and 3-D too)"""
    got, want = follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)
    assert_updated_in_place(got, want)


NESTEROV_NEEDS = "Nesterov momentum requires a momentum and zero dampening"


@graded("SGD", points=1, category="contract")
@cases(*SGD_INVALID)
def test_SGD_invalid_nesterov(student, ref, params, hyper, grads, schedule):
    """raises ValueError like torch for nesterov=True without momentum or with dampening"""
    assert_raises(student.SGD(params, hyper, grads, schedule), "ValueError", NESTEROV_NEEDS,
                  mistake=NO_NESTEROV_CHECK)


# --- Adam ------------------------------------------------------------------------------

BETAS = (Vary(0.85, 0.93), Vary(0.99, 0.9995))
# Adam's steps do not depend on the gradients' scale, except through eps: where eps must not
# matter, gradients are about 10 (an eps added inside the sqrt or before bias correction then
# moves no param by more than 1e-8 in 6 steps; about 1 would be near float64's tolerance).
BIG = 10.0
ADAM_VALUES = [
    run("float64-defaults", (), size=BIG),
    run("float64-lr", (LR,), scales=(1.0, 3.0, 0.5, 2.0, 1.0), size=BIG),
    run("float32-lr", (LR,), scales=(1.0, 3.0, 0.5, 2.0, 1.0), dtype=F32, size=BIG),
    run("float64-betas", (Vary(0.03, 0.07), (Vary(0.75, 0.85), Vary(0.98, 0.995))), scales=(2.0, 0.5, 1.0, 1.0),
        size=BIG),
    on_surface("float64-rosenbrock-30-steps", (Vary(0.03, 0.07),), "rosenbrock", 30),
]
ADAM_EPS = [
    run("float64-eps0.1", (LR, BETAS, Vary(0.05, 0.2))),
    run("float32-eps0.1", (LR, BETAS, Vary(0.05, 0.2)), dtype=F32),
    run("float64-eps1e-6-gradients-1e-6", (LR, BETAS, Vary(0.5e-6, 2e-6)), scales=(1e-6, 2e-6, 5e-7, 1e-6)),
    run("float64-default-eps-gradients-1e-9", (LR,), scales=(1e-9, 3e-9, 1e-9, 2e-9)),
]
ADAM_AMSGRAD = [
    run("float64-shrinking-gradients", (LR, (Vary(0.85, 0.93), Vary(0.98, 0.995)), 1e-8, 0.0, True),
        scales=SHRINKING, size=BIG),
    run("float32-shrinking-gradients", (LR, (Vary(0.85, 0.93), Vary(0.98, 0.995)), 1e-8, 0.0, True),
        scales=SHRINKING, dtype=F32, size=BIG),
    run("float64-default-betas", (LR, (0.9, 0.999), 1e-8, 0.0, True), scales=(10.0, 1.0, 0.5, 0.5, 0.5), size=BIG),
]
ADAM_WEIGHT_DECAY = [
    run("float64-wd", (LR, BETAS, 1e-8, Vary(0.05, 0.2)), size=BIG),
    run("float32-wd", (LR, BETAS, 1e-8, Vary(0.3, 0.7)), dtype=F32, size=BIG),
]
ADAM_SCHEDULE = [
    run("float64-lr-changed-at-step-3", (LR,), scales=(1.0,) * 6,
        schedule={3: Vary(0.005, 0.02), 5: Vary(0.2, 0.4)}, size=BIG),
    run("float32-lr-changed-at-step-2", (LR,), scales=(1.0,) * 4, dtype=F32, schedule={2: Vary(0.3, 0.6)},
        size=BIG),
]
ADAM_ZERO_GRADIENTS = [
    run("float64-zero-gradients", (LR,), zero=True, size=BIG),
    run("float32-zero-gradients", (LR,), zero=True, dtype=F32, size=BIG),
]
ADAM_CONTRACT = [
    run("float32-4-params-0d-and-3d", (LR,), shapes=contract_shapes, dtype=F32, size=BIG),
    run("float64-4-params-0d-and-3d", (Vary(0.005, 0.02), (Vary(0.75, 0.85), Vary(0.85, 0.95))),
        shapes=contract_shapes, size=BIG),
]


@graded("Adam", points=2, category="values", public=True)
@cases(*ADAM_VALUES)
def test_Adam_values(student, ref, params, hyper, grads, schedule):
    """matches torch.optim.Adam step by step (defaults, other lr and betas, a 30-step path)"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="options")
@cases(*ADAM_EPS)
def test_Adam_eps(student, ref, params, hyper, grads, schedule):
    """eps is added outside the sqrt, after bias correction (large eps, tiny gradients)"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="options")
@cases(*ADAM_AMSGRAD)
def test_Adam_amsgrad(student, ref, params, hyper, grads, schedule):
    """amsgrad=True keeps the running max of the raw second moment (shrinking gradients)"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="options")
@cases(*ADAM_WEIGHT_DECAY)
def test_Adam_weight_decay(student, ref, params, hyper, grads, schedule):
    """weight_decay adds wd * p to the gradient (L2, coupled), not AdamW's decoupled decay"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="options")
@cases(*ADAM_SCHEDULE)
def test_Adam_lr_schedule(student, ref, params, hyper, grads, schedule):
    """a new opt.lr set between steps applies from the next step, as in torch"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="stability")
@cases(*ADAM_ZERO_GRADIENTS)
def test_Adam_zero_gradients(student, ref, params, hyper, grads, schedule):
    """exact zero gradients (a frozen param) leave those entries unchanged, never NaN"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="contract")
@cases(*ADAM_CONTRACT)
def test_Adam_contract(student, ref, params, hyper, grads, schedule):
    """updates the caller's param arrays in place, for params of any shape (0-d and 3-D too)"""
    got, want = follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)
    assert_updated_in_place(got, want)


# --- known mistakes --------------------------------------------------------------------
# Wrong optimizers students really write, each a small change to a plain numpy version
# (_SGD, _Adam) so that it is wrong in one way only; `fails` lists the checks it must fail
# (the kit's tests prove it, and that it is named when it does). Both versions step with
# update(i, delta) (p -= delta) and read the learning rate through rate(), so the mixins
# below give either one the same wrong habit.

class _Rebinds:
    def update(self, i, delta):
        p = self.params[i]
        p = p - delta  # noqa: F841 (the mistake: only the local name changes)


class _Replaces:
    def update(self, i, delta):
        self.params[i] = self.params[i] - delta


class _FixedLr:
    def __init__(self, params, lr=1e-3, *args):
        super().__init__(params, lr, *args)
        self._lr = lr

    def rate(self):
        return self._lr


REBINDS = ("a local name rebound (p = p - lr*...), so the params never change",
           "update the array itself: p -= lr * ...")
FIXED_LR = ("the learning rate was read once in __init__, so changing opt.lr does nothing",
            "keep it in self.lr and read self.lr in every step()")


class _SGD:
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self.check(momentum, dampening, nesterov)
        self.params, self.lr, self.momentum, self.dampening = params, lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.buf = [None] * len(params)

    def check(self, momentum, dampening, nesterov):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(NESTEROV_NEEDS)

    def step(self, grads):
        for i, g in enumerate(grads):
            g = self.decay(self.params[i], g)
            if self.momentum:
                old, self.buf[i] = self.buf[i], self.velocity(self.buf[i], g)
                g = self.direction(g, self.buf[i], old)
            self.update(i, self.rate() * g)

    def decay(self, p, g):
        return g + self.weight_decay * p

    def velocity(self, buf, g):
        return g.copy() if buf is None else self.momentum * buf + (1 - self.dampening) * g

    def direction(self, g, buf, old):
        return g + self.momentum * buf if self.nesterov else buf

    def rate(self):
        return self.lr

    def update(self, i, delta):
        self.params[i] -= delta


ALL_SGD = ["test_SGD_values", "test_SGD_dampening", "test_SGD_nesterov", "test_SGD_weight_decay",
           "test_SGD_lr_schedule", "test_SGD_contract"]
NO_NESTEROV_CHECK = ("accepted nesterov=True without momentum (or with dampening)",
                     "in __init__: if nesterov and (momentum <= 0 or dampening != 0): raise ValueError(...)")


@mistake("SGD", "momentum buffer initialised to zeros, so dampening also shrinks the first step",
         fix="on the first step set buf = g.copy() (no dampening); afterwards buf = momentum*buf + (1-dampening)*g",
         fails=["test_SGD_dampening"])
class SGDZeroBuffer(_SGD):
    def velocity(self, buf, g):
        return self.momentum * (0 if buf is None else buf) + (1 - self.dampening) * g


@mistake("SGD", "dampening ignored", fix="buf = momentum*buf + (1-dampening)*g after the first step",
         fails=["test_SGD_dampening"])
class SGDNoDampening(_SGD):
    def velocity(self, buf, g):
        return g.copy() if buf is None else self.momentum * buf + g


@mistake("SGD", "nesterov ignored (a plain momentum step)",
         fix="with nesterov=True step along g + momentum*buf, using the buffer just updated",
         fails=["test_SGD_nesterov"])
class SGDNoNesterov(_SGD):
    def direction(self, g, buf, old):
        return buf


@mistake("SGD", "the Nesterov step used the buffer from before this step's update",
         fix="update buf first (buf = momentum*buf + g), then step along g + momentum*buf",
         fails=["test_SGD_nesterov"])
class SGDNesterovOldBuffer(_SGD):
    def direction(self, g, buf, old):
        return g + self.momentum * (0 if old is None else old) if self.nesterov else buf


@mistake("SGD", "weight decay decoupled from the gradient (p -= lr*wd*p on its own, AdamW style)",
         fix="torch's SGD adds wd*p to the gradient first (g = g + wd*p), so it enters the momentum buffer too",
         fails=["test_SGD_weight_decay"])
class SGDDecoupledDecay(_SGD):
    def decay(self, p, g):
        p -= self.lr * self.weight_decay * p
        return g


@mistake("SGD", "weight_decay ignored", fix="g = g + weight_decay * p before the momentum step",
         fails=["test_SGD_weight_decay"])
class SGDNoDecay(_SGD):
    def decay(self, p, g):
        return g


@mistake("SGD", "a velocity with the learning rate folded in (v = momentum*v + lr*g; p -= v): "
         "right only while lr is constant",
         fix="keep lr out of the buffer (buf = momentum*buf + g) and use the current lr: p -= lr*buf",
         fails=["test_SGD_lr_schedule"])
class SGDVelocityWithLr(_SGD):
    def velocity(self, v, g):
        return self.lr * g if v is None else self.momentum * v + (1 - self.dampening) * self.lr * g

    def direction(self, g, v, old):   # update() multiplies by lr again: p -= v
        return (self.lr * g + self.momentum * v if self.nesterov else v) / self.lr


@mistake("SGD", *FIXED_LR, fails=["test_SGD_lr_schedule"])
class SGDFixedLr(_FixedLr, _SGD):
    pass


@mistake("SGD", "momentum ignored", fix="keep a buffer per param: buf = g on the first step, then "
         "buf = momentum*buf + (1-dampening)*g, and step along buf",
         fails=["test_SGD_values", "test_SGD_dampening", "test_SGD_nesterov", "test_SGD_weight_decay",
                "test_SGD_lr_schedule", "test_SGD_contract"])
class SGDNoMomentum(_SGD):
    def velocity(self, buf, g):
        return g

    def direction(self, g, buf, old):
        return g


@mistake("SGD", *REBINDS, fails=ALL_SGD)
class SGDRebinds(_Rebinds, _SGD):
    pass


@mistake("SGD", *NOT_IN_PLACE, fails=["test_SGD_contract"])
class SGDReplaces(_Replaces, _SGD):
    pass


@mistake("SGD", *NO_NESTEROV_CHECK, fails=["test_SGD_invalid_nesterov"])
class SGDNoNesterovCheck(_SGD):
    def check(self, momentum, dampening, nesterov):
        pass


class _Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.vmax = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        for i, g in enumerate(grads):
            self.step_param(i, g)

    def step_param(self, i, g):
        b1, b2 = self.betas
        g = self.decay(self.params[i], g)
        self.m[i] = b1 * self.m[i] + (1 - b1) * g
        self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
        c1, c2 = self.corrections()
        denom = self.denominator(self.second_moment(i), c2)
        self.update(i, self.rate() * (self.m[i] / c1) / denom)

    def decay(self, p, g):
        return g + self.weight_decay * p

    def corrections(self):
        return 1 - self.betas[0] ** self.t, 1 - self.betas[1] ** self.t

    def second_moment(self, i):
        if not self.amsgrad:
            return self.v[i]
        self.vmax[i] = np.maximum(self.vmax[i], self.v[i])
        return self.vmax[i]

    def denominator(self, v, c2):
        return np.sqrt(v) / np.sqrt(c2) + self.eps

    def rate(self):
        return self.lr

    def update(self, i, delta):
        self.params[i] -= delta


ALL_ADAM = ["test_Adam_values", "test_Adam_eps", "test_Adam_amsgrad", "test_Adam_weight_decay",
            "test_Adam_lr_schedule", "test_Adam_zero_gradients", "test_Adam_contract"]


@mistake("Adam", "no bias correction: m and v start at 0, so the first steps have the wrong size",
         fix="divide m by (1 - beta1**t) and v by (1 - beta2**t), with t counting steps from 1",
         fails=ALL_ADAM)
class AdamNoBiasCorrection(_Adam):
    def corrections(self):
        return 1.0, 1.0


@mistake("Adam", "eps inside the square root: sqrt(v_hat + eps)",
         fix="torch adds eps outside: denom = sqrt(v_hat) + eps", fails=["test_Adam_eps"])
class AdamEpsInsideSqrt(_Adam):
    def denominator(self, v, c2):
        return np.sqrt(v / c2 + self.eps)


@mistake("Adam", "eps added before bias correction (the paper's folded step size lr*sqrt(1-beta2**t)/(1-beta1**t))",
         fix="torch corrects v first: denom = sqrt(v) / sqrt(1 - beta2**t) + eps", fails=["test_Adam_eps"])
class AdamEpsBeforeCorrection(_Adam):
    def denominator(self, v, c2):
        return (np.sqrt(v) + self.eps) / np.sqrt(c2)


@mistake("Adam", "no eps: m_hat / sqrt(v_hat) is 0/0 = NaN where the gradient is 0",
         fix="denom = sqrt(v_hat) + eps", fails=["test_Adam_eps", "test_Adam_zero_gradients"])
class AdamNoEps(_Adam):
    def denominator(self, v, c2):
        return np.sqrt(v / c2)


@mistake("Adam", "amsgrad ignored", fix="with amsgrad=True use vmax = maximum(vmax, v) in place of v",
         fails=["test_Adam_amsgrad"])
class AdamNoAmsgrad(_Adam):
    def second_moment(self, i):
        return self.v[i]


@mistake("Adam", "amsgrad took the max of the bias-corrected v_hat, not of the raw v",
         fix="torch keeps vmax = maximum(vmax, v) of the raw v, then divides by (1 - beta2**t)",
         fails=["test_Adam_amsgrad"])
class AdamAmsgradCorrectedMax(_Adam):
    def second_moment(self, i):
        if not self.amsgrad:
            return self.v[i]
        c2 = self.corrections()[1]
        self.vmax[i] = np.maximum(self.vmax[i], self.v[i] / c2)
        return self.vmax[i] * c2


@mistake("Adam", "weight decay decoupled (AdamW: p -= lr*wd*p) instead of Adam's L2 term",
         fix="torch's Adam adds wd*p to the gradient before the moments: g = g + wd*p",
         fails=["test_Adam_weight_decay"])
class AdamDecoupledDecay(_Adam):
    def decay(self, p, g):
        p -= self.lr * self.weight_decay * p
        return g


@mistake("Adam", "weight_decay ignored", fix="g = g + weight_decay * p before updating m and v",
         fails=["test_Adam_weight_decay"])
class AdamNoDecay(_Adam):
    def decay(self, p, g):
        return g


@mistake("Adam", *FIXED_LR, fails=["test_Adam_lr_schedule"])
class AdamFixedLr(_FixedLr, _Adam):
    pass


@mistake("Adam", "the step count t advanced once per param array, not once per step()",
         fix="increment t once at the start of step(), outside the loop over params", fails=ALL_ADAM)
class AdamStepPerArray(_Adam):
    def step(self, grads):
        for i, g in enumerate(grads):
            self.t += 1
            self.step_param(i, g)


@mistake("Adam", *REBINDS, fails=ALL_ADAM)
class AdamRebinds(_Rebinds, _Adam):
    pass


@mistake("Adam", *NOT_IN_PLACE, fails=["test_Adam_contract"])
class AdamReplaces(_Replaces, _Adam):
    pass


# =======================================================================================
# Wave 2 (issue 18): RMSprop, Adagrad, AdamW.
#
# The cases are drawn per student like SGD's and Adam's (`run`, `on_surface`). As for those,
# each option check turns on one option and leaves the others at their defaults, so a mistake
# in one option costs that option only; AdamW's default weight decay (1e-2) is on in its value
# checks only (the others pass 0, so a wrong decay costs the decay points, the values and the
# schedule, where decay and lr meet).
# What shows each known mistake (TORCH_NOTES, "Wave 2"):
# - eps inside the sqrt: eps 0.1, or the default eps with gradients of 1e-9;
# - RMSprop's alpha swapped with 1 - alpha: any run; alpha hard-wired: alpha != 0.99;
# - lr inside RMSprop's momentum buffer: momentum and an lr changed mid-run;
# - centered without the mean: centered=True;
# - Adagrad's lr_decay off by one step: lr_decay > 0; an ignored accumulator: its value > 0;
# - AdamW's decay coupled, after the step, or without lr: lr * wd >= 1e-3; default wd 0: the defaults.

FAR = (np.array([-3.0, 5.0]), np.array([[4.5, -2.5], [-2.0, 4.0]]))   # every coordinate 3 or more from 1


_ONES = (1.0,) * 6
_TINY = (1e-9, 3e-9, 1e-9, 2e-9)
# RMSprop's first steps divide by sqrt(0.01 g**2): with the default eps inside the sqrt the
# step changes by about 1e-8 / (0.02 g**2), visible for g of 1 in float64. Its runs use
# gradients of about 10 (its paths start 3 or more from the minimum), where only its eps check
# (eps 0.1, or g of 1e-9) tells the two apart.
_LARGE = (10.0, 20.0, 5.0, 15.0)
_LARGE_FLAT = (10.0,) * 6


# --- RMSprop ---------------------------------------------------------------------------
# RMSprop(params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)

RMSPROP_VALUES = [
    run("float64-defaults", (), scales=_LARGE),
    run("float64-lr0.05", (0.05,), scales=_LARGE),
    run("float32-lr0.05", (0.05,), scales=_LARGE, dtype=F32),
    on_surface("float64-quadratic-30-steps", (0.01,), "quadratic", 30, start=FAR),
]
RMSPROP_ALPHA = [
    run("float64-alpha0.9", (0.05, 0.9), scales=_LARGE),
    run("float32-alpha0.5", (0.05, 0.5), scales=_LARGE, dtype=F32),
]
RMSPROP_EPS = [
    run("float64-eps0.1", (0.05, 0.99, 0.1)),
    run("float32-eps0.1", (0.05, 0.99, 0.1), dtype=F32),
    run("float64-default-eps-gradients-1e-9", (0.05,), scales=_TINY),
]
RMSPROP_MOMENTUM = [
    run("float64-momentum0.9", (0.01, 0.99, 1e-8, 0.0, 0.9), scales=_LARGE),
    run("float32-momentum0.8", (0.01, 0.99, 1e-8, 0.0, 0.8), scales=_LARGE, dtype=F32),
    run("float64-momentum-lr-changed-at-step-3", (0.01, 0.99, 1e-8, 0.0, 0.9), scales=_LARGE_FLAT,
                                                   schedule={3: 0.002, 5: 0.03}),
]
RMSPROP_CENTERED = [
    run("float64-centered", (0.01, 0.99, 1e-8, 0.0, 0.0, True), scales=_LARGE),
    run("float32-centered-alpha0.9", (0.01, 0.9, 1e-8, 0.0, 0.0, True), scales=_LARGE, dtype=F32),
    on_surface("float64-centered-momentum-quadratic-20-steps", (0.01, 0.99, 1e-8, 0.0, 0.9, True), "quadratic", 20,
                                                                          start=FAR),
]
RMSPROP_WEIGHT_DECAY = [
    run("float64-wd0.1", (0.01, 0.99, 1e-8, 0.1), scales=_LARGE),
    run("float32-wd0.5", (0.01, 0.99, 1e-8, 0.5), scales=_LARGE, dtype=F32),
]
RMSPROP_SCHEDULE = [
    run("float64-lr-changed-at-step-3", (0.01,), scales=_LARGE_FLAT, schedule={3: 0.001, 5: 0.05}),
    run("float32-lr-changed-at-step-2", (0.01,), scales=_LARGE_FLAT[:4], dtype=F32, schedule={2: 0.1}),
]
RMSPROP_ZERO_GRADIENTS = [
    run("float64-zero-gradients", (0.01,), scales=_LARGE, zero=True),
    run("float32-zero-gradients", (0.01,), scales=_LARGE, zero=True, dtype=F32),
]
RMSPROP_CONTRACT = [
    run("float32-4-params-0d-and-3d", (0.01,), scales=_LARGE, shapes=contract_shapes, dtype=F32),
    run("float64-4-params-0d-and-3d-centered-momentum", (0.01, 0.9, 1e-8, 0.0, 0.5, True), scales=_LARGE, shapes=contract_shapes),
]
RMSPROP_INVALID = [
    run("lr-negative", (-0.01,), scales=(1.0,)),
    run("alpha-negative", (0.01, -0.1), scales=(1.0,)),
    run("eps-negative", (0.01, 0.99, -1e-8), scales=(1.0,)),
    run("weight_decay-negative", (0.01, 0.99, 1e-8, -0.1), scales=(1.0,)),
    run("momentum-negative", (0.01, 0.99, 1e-8, 0.0, -0.5), scales=(1.0,)),
]
NEGATIVE_INVALID = "a negative value for any hyper-parameter is invalid"
NO_VALIDATION = ("accepted a negative hyper-parameter (torch's constructor raises ValueError)",
                 "in __init__: if lr < 0 (and the same for the others): raise ValueError(...)")


@graded("RMSprop", points=2, category="values", public=True)
@cases(*RMSPROP_VALUES)
def test_RMSprop_values(student, ref, params, hyper, grads, schedule):
    """matches torch.optim.RMSprop step by step (defaults, another lr, a 30-step path)"""
    follows_torch(student.RMSprop, ref.RMSprop, params, hyper, grads, schedule)


@graded("RMSprop", points=1, category="options")
@cases(*RMSPROP_ALPHA)
def test_RMSprop_alpha(student, ref, params, hyper, grads, schedule):
    """alpha != 0.99: square_avg = alpha * square_avg + (1 - alpha) * g**2"""
    follows_torch(student.RMSprop, ref.RMSprop, params, hyper, grads, schedule)


@graded("RMSprop", points=1, category="options")
@cases(*RMSPROP_EPS)
def test_RMSprop_eps(student, ref, params, hyper, grads, schedule):
    """eps is added outside the sqrt: sqrt(square_avg) + eps (large eps, tiny gradients)"""
    follows_torch(student.RMSprop, ref.RMSprop, params, hyper, grads, schedule)


@graded("RMSprop", points=1, category="options")
@cases(*RMSPROP_MOMENTUM)
def test_RMSprop_momentum(student, ref, params, hyper, grads, schedule):
    """momentum: buf = momentum * buf + g / avg (no lr inside), p -= lr * buf; lr changed mid-run too"""
    follows_torch(student.RMSprop, ref.RMSprop, params, hyper, grads, schedule)


@graded("RMSprop", points=1, category="options")
@cases(*RMSPROP_CENTERED)
def test_RMSprop_centered(student, ref, params, hyper, grads, schedule):
    """centered=True: avg = sqrt(square_avg - grad_avg**2) + eps, with grad_avg the running mean of g"""
    follows_torch(student.RMSprop, ref.RMSprop, params, hyper, grads, schedule)


@graded("RMSprop", points=1, category="options")
@cases(*RMSPROP_WEIGHT_DECAY)
def test_RMSprop_weight_decay(student, ref, params, hyper, grads, schedule):
    """weight_decay adds wd * p to the gradient first (L2, coupled)"""
    follows_torch(student.RMSprop, ref.RMSprop, params, hyper, grads, schedule)


@graded("RMSprop", points=1, category="options")
@cases(*RMSPROP_SCHEDULE)
def test_RMSprop_lr_schedule(student, ref, params, hyper, grads, schedule):
    """a new opt.lr set between steps applies from the next step, as in torch"""
    follows_torch(student.RMSprop, ref.RMSprop, params, hyper, grads, schedule)


@graded("RMSprop", points=1, category="stability")
@cases(*RMSPROP_ZERO_GRADIENTS)
def test_RMSprop_zero_gradients(student, ref, params, hyper, grads, schedule):
    """exact zero gradients (a frozen param) leave those entries unchanged, never NaN"""
    follows_torch(student.RMSprop, ref.RMSprop, params, hyper, grads, schedule)


@graded("RMSprop", points=1, category="contract")
@cases(*RMSPROP_CONTRACT)
def test_RMSprop_contract(student, ref, params, hyper, grads, schedule):
    """updates the caller's param arrays in place, for params of any shape (0-d and 3-D too)"""
    got, want = follows_torch(student.RMSprop, ref.RMSprop, params, hyper, grads, schedule)
    assert_updated_in_place(got, want)


@graded("RMSprop", points=1, category="contract")
@cases(*RMSPROP_INVALID)
def test_RMSprop_invalid(student, ref, params, hyper, grads, schedule):
    """raises ValueError like torch for a negative lr, alpha, eps, weight_decay or momentum"""
    assert_raises(student.RMSprop(params, hyper, grads, schedule), "ValueError", NEGATIVE_INVALID,
                  mistake=NO_VALIDATION)


# --- Adagrad ---------------------------------------------------------------------------
# Adagrad(params, lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)

ADAGRAD_VALUES = [
    run("float64-defaults", ()),
    run("float64-lr0.1", (0.1,)),
    run("float32-lr0.1", (0.1,), dtype=F32),
    on_surface("float64-quadratic-30-steps", (0.1,), "quadratic", 30),
]
ADAGRAD_LR_DECAY = [
    run("float64-lr_decay0.1", (0.1, 0.1)),
    run("float32-lr_decay0.5", (0.1, 0.5), dtype=F32),
    on_surface("float64-lr_decay0.05-quadratic-20-steps", (0.1, 0.05), "quadratic", 20),
]
ADAGRAD_ACCUMULATOR = [
    run("float64-initial-accumulator0.5", (0.1, 0.0, 0.0, 0.5)),
    run("float32-initial-accumulator2", (0.1, 0.0, 0.0, 2.0), dtype=F32),
]
ADAGRAD_EPS = [
    run("float64-eps0.1", (0.1, 0.0, 0.0, 0.0, 0.1)),
    run("float32-eps0.1", (0.1, 0.0, 0.0, 0.0, 0.1), dtype=F32),
    run("float64-default-eps-gradients-1e-9", (0.1,), scales=_TINY),
]
ADAGRAD_WEIGHT_DECAY = [
    run("float64-wd0.1", (0.1, 0.0, 0.1)),
    run("float32-wd0.5", (0.1, 0.0, 0.5), dtype=F32),
]
ADAGRAD_SCHEDULE = [
    run("float64-lr-changed-at-step-3", (0.1,), scales=_ONES, schedule={3: 0.01, 5: 0.3}),
    run("float32-lr-changed-at-step-2", (0.1,), scales=(1.0,) * 4, dtype=F32, schedule={2: 0.5}),
]
ADAGRAD_ZERO_GRADIENTS = [
    run("float64-zero-gradients", (0.1,), zero=True),
    run("float32-zero-gradients", (0.1,), zero=True, dtype=F32),
]
ADAGRAD_CONTRACT = [
    run("float32-4-params-0d-and-3d", (0.1,), shapes=contract_shapes, dtype=F32),
    run("float64-4-params-0d-and-3d", (0.05,), shapes=contract_shapes),
]
ADAGRAD_INVALID = [
    run("lr-negative", (-0.1,), scales=(1.0,)),
    run("lr_decay-negative", (0.1, -0.1), scales=(1.0,)),
    run("weight_decay-negative", (0.1, 0.0, -0.1), scales=(1.0,)),
    run("initial_accumulator_value-negative", (0.1, 0.0, 0.0, -0.5), scales=(1.0,)),
    run("eps-negative", (0.1, 0.0, 0.0, 0.0, -1e-10), scales=(1.0,)),
]


@graded("Adagrad", points=2, category="values", public=True)
@cases(*ADAGRAD_VALUES)
def test_Adagrad_values(student, ref, params, hyper, grads, schedule):
    """matches torch.optim.Adagrad step by step (defaults, another lr, a 30-step path)"""
    follows_torch(student.Adagrad, ref.Adagrad, params, hyper, grads, schedule)


@graded("Adagrad", points=1, category="options")
@cases(*ADAGRAD_LR_DECAY)
def test_Adagrad_lr_decay(student, ref, params, hyper, grads, schedule):
    """lr_decay: step t uses lr / (1 + (t - 1) * lr_decay), so the first step uses lr itself"""
    follows_torch(student.Adagrad, ref.Adagrad, params, hyper, grads, schedule)


@graded("Adagrad", points=1, category="options")
@cases(*ADAGRAD_ACCUMULATOR)
def test_Adagrad_initial_accumulator(student, ref, params, hyper, grads, schedule):
    """the sum of squared gradients starts at initial_accumulator_value, not 0"""
    follows_torch(student.Adagrad, ref.Adagrad, params, hyper, grads, schedule)


@graded("Adagrad", points=1, category="options")
@cases(*ADAGRAD_EPS)
def test_Adagrad_eps(student, ref, params, hyper, grads, schedule):
    """eps is added outside the sqrt: sqrt(sum) + eps (large eps, tiny gradients)"""
    follows_torch(student.Adagrad, ref.Adagrad, params, hyper, grads, schedule)


@graded("Adagrad", points=1, category="options")
@cases(*ADAGRAD_WEIGHT_DECAY)
def test_Adagrad_weight_decay(student, ref, params, hyper, grads, schedule):
    """weight_decay adds wd * p to the gradient first (L2, coupled)"""
    follows_torch(student.Adagrad, ref.Adagrad, params, hyper, grads, schedule)


@graded("Adagrad", points=1, category="options")
@cases(*ADAGRAD_SCHEDULE)
def test_Adagrad_lr_schedule(student, ref, params, hyper, grads, schedule):
    """a new opt.lr set between steps applies from the next step, as in torch"""
    follows_torch(student.Adagrad, ref.Adagrad, params, hyper, grads, schedule)


@graded("Adagrad", points=1, category="stability")
@cases(*ADAGRAD_ZERO_GRADIENTS)
def test_Adagrad_zero_gradients(student, ref, params, hyper, grads, schedule):
    """exact zero gradients (a frozen param) leave those entries unchanged, never NaN"""
    follows_torch(student.Adagrad, ref.Adagrad, params, hyper, grads, schedule)


@graded("Adagrad", points=1, category="contract")
@cases(*ADAGRAD_CONTRACT)
def test_Adagrad_contract(student, ref, params, hyper, grads, schedule):
    """updates the caller's param arrays in place, for params of any shape (0-d and 3-D too)"""
    got, want = follows_torch(student.Adagrad, ref.Adagrad, params, hyper, grads, schedule)
    assert_updated_in_place(got, want)


@graded("Adagrad", points=1, category="contract")
@cases(*ADAGRAD_INVALID)
def test_Adagrad_invalid(student, ref, params, hyper, grads, schedule):
    """raises ValueError like torch for a negative lr, lr_decay, weight_decay, initial_accumulator_value or eps"""
    assert_raises(student.Adagrad(params, hyper, grads, schedule), "ValueError", NEGATIVE_INVALID,
                  mistake=NO_VALIDATION)


# --- AdamW -----------------------------------------------------------------------------
# AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)

_B = (0.9, 0.999)
ADAMW_VALUES = [
    run("float64-defaults", ()),
    run("float64-lr0.1", (0.1,), scales=(1.0, 3.0, 0.5, 2.0, 1.0)),
    run("float32-lr0.1", (0.1,), scales=(1.0, 3.0, 0.5, 2.0, 1.0), dtype=F32),
    run("float64-betas0.8-0.99", (0.05, (0.8, 0.99)), scales=(2.0, 0.5, 1.0, 1.0)),
    on_surface("float64-rosenbrock-30-steps", (0.05,), "rosenbrock", 30),
]
ADAMW_WEIGHT_DECAY = [
    run("float64-wd0.1", (0.1, _B, 1e-8, 0.1)),
    run("float32-wd0.5", (0.1, _B, 1e-8, 0.5), dtype=F32),
    run("float64-lr0.01-wd1", (0.01, _B, 1e-8, 1.0), scales=(1.0,) * 5),
]
ADAMW_AMSGRAD = [
    run("float64-shrinking-gradients", (0.1, (0.9, 0.99), 1e-8, 0.0, True), scales=SHRINKING),
    run("float32-shrinking-gradients", (0.1, (0.9, 0.99), 1e-8, 0.0, True), scales=SHRINKING, dtype=F32),
]
ADAMW_SCHEDULE = [
    run("float64-lr-changed-at-step-3", (0.1, _B, 1e-8, 0.0), scales=_ONES, schedule={3: 0.01, 5: 0.3}),
    run("float64-wd0.1-lr-changed-at-step-2", (0.1, _B, 1e-8, 0.1), scales=(1.0,) * 4, schedule={2: 0.5}),
]
ADAMW_ZERO_GRADIENTS = [
    run("float64-zero-gradients", (0.1, _B, 1e-8, 0.0), zero=True),
    run("float32-zero-gradients", (0.1, _B, 1e-8, 0.0), zero=True, dtype=F32),
]
ADAMW_CONTRACT = [
    run("float32-4-params-0d-and-3d", (0.1, _B, 1e-8, 0.0), shapes=contract_shapes, dtype=F32),
    run("float64-4-params-0d-and-3d", (0.01, (0.8, 0.9), 1e-8, 0.0), shapes=contract_shapes),
]
ADAMW_INVALID = [
    run("lr-negative", (-0.1,), scales=(1.0,)),
    run("beta1-is-1", (0.1, (1.0, 0.999)), scales=(1.0,)),
    run("beta2-negative", (0.1, (0.9, -0.1)), scales=(1.0,)),
    run("eps-negative", (0.1, _B, -1e-8), scales=(1.0,)),
    run("weight_decay-negative", (0.1, _B, 1e-8, -0.1), scales=(1.0,)),
]
ADAMW_INVALID_WHY = "a negative lr, eps or weight_decay, or a beta outside [0, 1), is invalid"


@graded("AdamW", points=2, category="values", public=True)
@cases(*ADAMW_VALUES)
def test_AdamW_values(student, ref, params, hyper, grads, schedule):
    """matches torch.optim.AdamW step by step with its default weight_decay=1e-2 (other lr and betas, a 30-step path)"""
    follows_torch(student.AdamW, ref.AdamW, params, hyper, grads, schedule)


@graded("AdamW", points=2, category="options")
@cases(*ADAMW_WEIGHT_DECAY)
def test_AdamW_weight_decay(student, ref, params, hyper, grads, schedule):
    """decoupled decay first: p *= 1 - lr * wd, then Adam's step with the gradient untouched"""
    follows_torch(student.AdamW, ref.AdamW, params, hyper, grads, schedule)


@graded("AdamW", points=1, category="options")
@cases(*ADAMW_AMSGRAD)
def test_AdamW_amsgrad(student, ref, params, hyper, grads, schedule):
    """amsgrad=True keeps the running max of the raw second moment (shrinking gradients)"""
    follows_torch(student.AdamW, ref.AdamW, params, hyper, grads, schedule)


@graded("AdamW", points=1, category="options")
@cases(*ADAMW_SCHEDULE)
def test_AdamW_lr_schedule(student, ref, params, hyper, grads, schedule):
    """a new opt.lr set between steps applies from the next step, to the decay too"""
    follows_torch(student.AdamW, ref.AdamW, params, hyper, grads, schedule)


@graded("AdamW", points=1, category="stability")
@cases(*ADAMW_ZERO_GRADIENTS)
def test_AdamW_zero_gradients(student, ref, params, hyper, grads, schedule):
    """exact zero gradients (a frozen param) leave those entries unchanged without decay, never NaN"""
    follows_torch(student.AdamW, ref.AdamW, params, hyper, grads, schedule)


@graded("AdamW", points=1, category="contract")
@cases(*ADAMW_CONTRACT)
def test_AdamW_contract(student, ref, params, hyper, grads, schedule):
    """updates the caller's param arrays in place, for params of any shape (0-d and 3-D too)"""
    got, want = follows_torch(student.AdamW, ref.AdamW, params, hyper, grads, schedule)
    assert_updated_in_place(got, want)


@graded("AdamW", points=1, category="contract")
@cases(*ADAMW_INVALID)
def test_AdamW_invalid(student, ref, params, hyper, grads, schedule):
    """raises ValueError like torch for a negative lr, eps or weight_decay, or a beta outside [0, 1)"""
    assert_raises(student.AdamW(params, hyper, grads, schedule), "ValueError", ADAMW_INVALID_WHY,
                  mistake=NO_VALIDATION)


# --- wave 2: known mistakes ------------------------------------------------------------
# As for SGD and Adam: plain numpy versions (_RMSprop, _Adagrad, _AdamW) that step with
# update(i, delta) and read the learning rate through rate(), each mistake a small change.

def _wave2_checks(api):
    """Every check of `api` but its ValueError one (a mistake that is wrong on every run)."""
    return [n for n, f in globals().items() if n.startswith(f"test_{api}_") and not n.endswith("_invalid")
            and any(m.kwargs["api"] == api for m in getattr(f, "pytestmark", []) if m.name == "graded")]


class _FixedLrOwnDefault:
    """FIXED_LR for classes whose lr default is not Adam's: lr read once, after __init__."""

    def __init__(self, params, *args):
        super().__init__(params, *args)
        self._lr = self.lr

    def rate(self):
        return self._lr


def _validate(**values):
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"Invalid {name} value: {value}")


class _RMSprop:
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        self.validate(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        self.params, self.lr, self.alpha, self.eps = params, lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered
        self.t = 0
        self.square_avg = [np.zeros_like(p) for p in params]
        self.grad_avg = [np.zeros_like(p) for p in params]
        self.buf = [np.zeros_like(p) for p in params]

    def validate(self, **values):
        _validate(**values)

    def step(self, grads):
        self.t += 1
        for i, g in enumerate(grads):
            g = self.decay(self.params[i], g)
            self.square_avg[i] = self.average(self.square_avg[i], g * g)
            avg = self.denominator(i, g)
            if self.momentum > 0:
                self.buf[i] = self.velocity(self.buf[i], g / avg)
                self.update(i, self.rate() * self.buf[i])
            else:
                self.update(i, self.rate() * g / avg)

    def decay(self, p, g):
        return g + self.weight_decay * p

    def average(self, avg, value):
        return self.alpha * avg + (1 - self.alpha) * value

    def denominator(self, i, g):
        if self.centered:
            self.grad_avg[i] = self.average(self.grad_avg[i], g)
            return self.root(self.square_avg[i] - self.grad_avg[i] ** 2)
        return self.root(self.square_avg[i])

    def root(self, mean_square):
        return np.sqrt(mean_square) + self.eps

    def velocity(self, buf, direction):
        return self.momentum * buf + direction

    def rate(self):
        return self.lr

    def update(self, i, delta):
        self.params[i] -= delta


ALL_RMSPROP = _wave2_checks("RMSprop")


@mistake("RMSprop", "eps inside the square root: sqrt(square_avg + eps)",
         fix="torch adds eps outside: avg = sqrt(square_avg) + eps", fails=["test_RMSprop_eps"])
class RMSpropEpsInsideSqrt(_RMSprop):
    def root(self, mean_square):
        return np.sqrt(mean_square + self.eps)


@mistake("RMSprop", "alpha and 1 - alpha swapped: square_avg = (1 - alpha) * square_avg + alpha * g**2",
         fix="alpha weighs the old average: square_avg = alpha * square_avg + (1 - alpha) * g**2", fails=ALL_RMSPROP)
class RMSpropAlphaSwapped(_RMSprop):
    def average(self, avg, value):
        return (1 - self.alpha) * avg + self.alpha * value


@mistake("RMSprop", "alpha ignored (always 0.99)", fix="use the alpha argument in the running averages",
         fails=["test_RMSprop_alpha", "test_RMSprop_centered", "test_RMSprop_contract"])
class RMSpropFixedAlpha(_RMSprop):
    def average(self, avg, value):
        return 0.99 * avg + 0.01 * value


@mistake("RMSprop", "the learning rate inside the momentum buffer (buf = momentum*buf + lr*g/avg; p -= buf): "
         "right only while lr is constant",
         fix="torch keeps lr out of the buffer: buf = momentum*buf + g/avg, then p -= lr*buf",
         fails=["test_RMSprop_momentum"])
class RMSpropLrInBuffer(_RMSprop):
    def velocity(self, buf, direction):
        return self.momentum * buf + self.rate() * direction

    def update(self, i, delta):
        self.params[i] -= delta / self.rate() if self.momentum > 0 else delta


@mistake("RMSprop", "momentum ignored", fix="with momentum > 0: buf = momentum*buf + g/avg, p -= lr*buf",
         fails=["test_RMSprop_momentum", "test_RMSprop_centered", "test_RMSprop_contract"])
class RMSpropNoMomentum(_RMSprop):
    def velocity(self, buf, direction):
        return direction


@mistake("RMSprop", "centered=True without the mean: the running average of g is not subtracted",
         fix="centered: grad_avg = alpha*grad_avg + (1-alpha)*g, avg = sqrt(square_avg - grad_avg**2) + eps",
         fails=["test_RMSprop_centered", "test_RMSprop_contract"])
class RMSpropNotCentered(_RMSprop):
    def denominator(self, i, g):
        return self.root(self.square_avg[i])


@mistake("RMSprop", "centered: subtracted the previous step's grad_avg (updated after the denominator)",
         fix="update grad_avg with this step's g first, then avg = sqrt(square_avg - grad_avg**2) + eps",
         fails=["test_RMSprop_centered", "test_RMSprop_contract"])
class RMSpropCenteredLate(_RMSprop):
    def denominator(self, i, g):
        if not self.centered:
            return super().denominator(i, g)
        avg = self.root(self.square_avg[i] - self.grad_avg[i] ** 2)
        self.grad_avg[i] = self.average(self.grad_avg[i], g)
        return avg


@mistake("RMSprop", "Adam's bias correction added: square_avg / (1 - alpha**t)",
         fix="RMSprop has no bias correction: avg = sqrt(square_avg) + eps", fails=ALL_RMSPROP)
class RMSpropBiasCorrected(_RMSprop):
    def root(self, mean_square):
        return np.sqrt(mean_square / (1 - self.alpha ** self.t)) + self.eps


@mistake("RMSprop", "weight decay decoupled from the gradient (p -= lr*wd*p on its own, AdamW style)",
         fix="torch's RMSprop adds wd*p to the gradient first: g = g + wd*p", fails=["test_RMSprop_weight_decay"])
class RMSpropDecoupledDecay(_RMSprop):
    def decay(self, p, g):
        p -= self.lr * self.weight_decay * p
        return g


@mistake("RMSprop", "weight_decay ignored", fix="g = g + weight_decay * p before the running averages",
         fails=["test_RMSprop_weight_decay"])
class RMSpropNoDecay(_RMSprop):
    def decay(self, p, g):
        return g


@mistake("RMSprop", *FIXED_LR, fails=["test_RMSprop_momentum", "test_RMSprop_lr_schedule"])
class RMSpropFixedLr(_FixedLrOwnDefault, _RMSprop):
    pass


@mistake("RMSprop", "no eps: g / sqrt(square_avg) is 0/0 = NaN where the gradient is 0",
         fix="avg = sqrt(square_avg) + eps", fails=["test_RMSprop_eps", "test_RMSprop_zero_gradients"])
class RMSpropNoEps(_RMSprop):
    def root(self, mean_square):
        return np.sqrt(mean_square)


@mistake("RMSprop", *REBINDS, fails=ALL_RMSPROP)
class RMSpropRebinds(_Rebinds, _RMSprop):
    pass


@mistake("RMSprop", *NOT_IN_PLACE, fails=["test_RMSprop_contract"])
class RMSpropReplaces(_Replaces, _RMSprop):
    pass


@mistake("RMSprop", *NO_VALIDATION, fails=["test_RMSprop_invalid"])
class RMSpropNoValidation(_RMSprop):
    def validate(self, **values):
        pass


class _Adagrad:
    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        self.validate(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value, eps=eps)
        self.params, self.lr, self.lr_decay, self.eps = params, lr, lr_decay, eps
        self.weight_decay = weight_decay
        self.t = 0
        self.sum = [np.full_like(p, self.initial(initial_accumulator_value)) for p in params]

    def validate(self, **values):
        _validate(**values)

    def initial(self, value):
        return value

    def step(self, grads):
        self.t += 1
        for i, g in enumerate(grads):
            self.step_param(i, g)

    def step_param(self, i, g):
        g = self.decay(self.params[i], g)
        self.sum[i] = self.sum[i] + g * g
        self.update(i, self.clr() * g / self.denominator(self.sum[i]))

    def clr(self):
        return self.rate() / (1 + (self.t - 1) * self.lr_decay)

    def decay(self, p, g):
        return g + self.weight_decay * p

    def denominator(self, s):
        return np.sqrt(s) + self.eps

    def rate(self):
        return self.lr

    def update(self, i, delta):
        self.params[i] -= delta


ALL_ADAGRAD = _wave2_checks("Adagrad")


@mistake("Adagrad", "lr_decay off by one step: lr / (1 + t * lr_decay) decays the first step already",
         fix="step t (from 1) uses lr / (1 + (t - 1) * lr_decay)", fails=["test_Adagrad_lr_decay"])
class AdagradDecayOffByOne(_Adagrad):
    def clr(self):
        return self.rate() / (1 + self.t * self.lr_decay)


@mistake("Adagrad", "lr_decay ignored", fix="step t uses lr / (1 + (t - 1) * lr_decay)",
         fails=["test_Adagrad_lr_decay"])
class AdagradNoDecay(_Adagrad):
    def clr(self):
        return self.rate()


@mistake("Adagrad", "the step count t advanced once per param array, not once per step()",
         fix="increment t once at the start of step(), outside the loop over params", fails=["test_Adagrad_lr_decay"])
class AdagradStepPerArray(_Adagrad):
    def step(self, grads):
        for i, g in enumerate(grads):
            self.t += 1
            self.step_param(i, g)


@mistake("Adagrad", "initial_accumulator_value ignored (the sum starts at 0)",
         fix="sum = np.full_like(p, initial_accumulator_value)", fails=["test_Adagrad_initial_accumulator"])
class AdagradZeroAccumulator(_Adagrad):
    def initial(self, value):
        return 0.0


@mistake("Adagrad", "eps inside the square root: sqrt(sum + eps)",
         fix="torch adds eps outside: sqrt(sum) + eps", fails=["test_Adagrad_eps"])
class AdagradEpsInsideSqrt(_Adagrad):
    def denominator(self, s):
        return np.sqrt(s + self.eps)


@mistake("Adagrad", "no eps: g / sqrt(sum) is 0/0 = NaN where the gradient is 0",
         fix="divide by sqrt(sum) + eps", fails=["test_Adagrad_eps", "test_Adagrad_zero_gradients"])
class AdagradNoEps(_Adagrad):
    def denominator(self, s):
        return np.sqrt(s)


@mistake("Adagrad", "no square root: divided by the sum of squared gradients itself",
         fix="p -= clr * g / (sqrt(sum) + eps)", fails=ALL_ADAGRAD)
class AdagradNoSqrt(_Adagrad):
    def denominator(self, s):
        return s + self.eps


@mistake("Adagrad", "a decaying average of g**2 (that is RMSprop), not Adagrad's running sum",
         fix="sum = sum + g**2: Adagrad never forgets", fails=ALL_ADAGRAD)
class AdagradAverages(_Adagrad):
    def step_param(self, i, g):
        g = self.decay(self.params[i], g)
        self.sum[i] = 0.99 * self.sum[i] + 0.01 * g * g
        self.update(i, self.clr() * g / self.denominator(self.sum[i]))


@mistake("Adagrad", "weight decay decoupled from the gradient (p -= lr*wd*p on its own, AdamW style)",
         fix="torch's Adagrad adds wd*p to the gradient first: g = g + wd*p", fails=["test_Adagrad_weight_decay"])
class AdagradDecoupledDecay(_Adagrad):
    def decay(self, p, g):
        p -= self.lr * self.weight_decay * p
        return g


@mistake("Adagrad", "weight_decay ignored", fix="g = g + weight_decay * p before accumulating g**2",
         fails=["test_Adagrad_weight_decay"])
class AdagradNoWeightDecay(_Adagrad):
    def decay(self, p, g):
        return g


@mistake("Adagrad", *FIXED_LR, fails=["test_Adagrad_lr_schedule"])
class AdagradFixedLr(_FixedLrOwnDefault, _Adagrad):
    pass


@mistake("Adagrad", *REBINDS, fails=ALL_ADAGRAD)
class AdagradRebinds(_Rebinds, _Adagrad):
    pass


@mistake("Adagrad", *NOT_IN_PLACE, fails=["test_Adagrad_contract"])
class AdagradReplaces(_Replaces, _Adagrad):
    pass


@mistake("Adagrad", *NO_VALIDATION, fails=["test_Adagrad_invalid"])
class AdagradNoValidation(_Adagrad):
    def validate(self, **values):
        pass


class _AdamW(_Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        self.validate(lr, betas, eps, weight_decay)
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

    def validate(self, lr, betas, eps, weight_decay):
        _validate(lr=lr, eps=eps, weight_decay=weight_decay)
        for k, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {k}: {beta}")

    def decay(self, p, g):
        p *= 1 - self.rate() * self.weight_decay
        return g


ALL_ADAMW = _wave2_checks("AdamW")
_ADAMW_DECAY = ["test_AdamW_values", "test_AdamW_weight_decay", "test_AdamW_lr_schedule"]


@mistake("AdamW", "weight decay coupled to the gradient (g + wd*p, Adam's L2) instead of AdamW's decoupled decay",
         fix="AdamW shrinks the params first, p *= 1 - lr*wd, and leaves the gradient alone", fails=_ADAMW_DECAY)
class AdamWCoupled(_AdamW):
    def decay(self, p, g):
        return g + self.weight_decay * p


@mistake("AdamW", "the decay applied after the Adam step (on the updated params)",
         fix="decay first: p *= 1 - lr*wd, then p -= lr * m_hat / (sqrt(v_hat) + eps)", fails=_ADAMW_DECAY)
class AdamWDecayAfter(_AdamW):
    def decay(self, p, g):
        return g

    def update(self, i, delta):
        self.params[i] -= delta
        self.params[i] *= 1 - self.rate() * self.weight_decay


@mistake("AdamW", "the decay without the learning rate: p *= 1 - wd",
         fix="torch multiplies by 1 - lr*wd (with the current lr)", fails=_ADAMW_DECAY)
class AdamWDecayWithoutLr(_AdamW):
    def decay(self, p, g):
        p *= 1 - self.weight_decay
        return g


@mistake("AdamW", "default weight_decay 0: torch's AdamW decays by default (weight_decay=1e-2)",
         fix="def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)",
         fails=["test_AdamW_values"])
class AdamWNoDefaultDecay(_AdamW):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


@mistake("AdamW", "weight_decay ignored (plain Adam)", fix="p *= 1 - lr*wd before Adam's step", fails=_ADAMW_DECAY)
class AdamWNoDecay(_AdamW):
    def decay(self, p, g):
        return g


@mistake("AdamW", "no bias correction: m and v start at 0, so the first steps have the wrong size",
         fix="divide m by (1 - beta1**t) and v by (1 - beta2**t), with t counting steps from 1", fails=ALL_ADAMW)
class AdamWNoBiasCorrection(_AdamW):
    def corrections(self):
        return 1.0, 1.0


@mistake("AdamW", "amsgrad ignored", fix="with amsgrad=True use vmax = maximum(vmax, v) in place of v",
         fails=["test_AdamW_amsgrad"])
class AdamWNoAmsgrad(_AdamW):
    def second_moment(self, i):
        return self.v[i]


@mistake("AdamW", "no eps: m_hat / sqrt(v_hat) is 0/0 = NaN where the gradient is 0",
         fix="denom = sqrt(v_hat) + eps", fails=["test_AdamW_zero_gradients"])
class AdamWNoEps(_AdamW):
    def denominator(self, v, c2):
        return np.sqrt(v / c2)


@mistake("AdamW", *FIXED_LR, fails=["test_AdamW_lr_schedule"])
class AdamWFixedLr(_FixedLrOwnDefault, _AdamW):
    pass


@mistake("AdamW", *REBINDS, fails=ALL_ADAMW)
class AdamWRebinds(_Rebinds, _AdamW):
    pass


@mistake("AdamW", *NOT_IN_PLACE, fails=["test_AdamW_contract"])
class AdamWReplaces(_Replaces, _AdamW):
    pass


@mistake("AdamW", *NO_VALIDATION, fails=["test_AdamW_invalid"])
class AdamWNoValidation(_AdamW):
    def validate(self, lr, betas, eps, weight_decay):
        pass
