"""Checks for the mlp assignment: a two-layer network in numpy, against torch's autograd and
torch.optim.SGD.

    logits = linear(relu(linear(x, W1, b1)), W2, b2);  loss = mean cross-entropy(logits, targets)

Answers of several arrays (`linear_backward`'s three gradients, `mlp_loss_and_grads`'s loss and
four gradients, and for `train` its losses and the params after training) are checked part by
part (`student.part("grad_b")`, grader.exercises.PARTS), so a wrong bias gradient costs the
bias points only. Inputs are drawn per student (grader.engine.cases), each case keeping the
structure that exposes the known mistakes on every draw:
- W is never square in the ordinary cases (D_in != D_out), so `x @ W` for `x @ W.T` fails;
  one square case lets the report name that mistake (there `x @ W` runs, with wrong values);
- N != D_out, so a bias gradient summed over the wrong axis has the wrong shape;
- pre-activations exactly 0 (b1 = 0 and an all-zero input row; x = 0.0 and -0.0 for
  relu_backward), where torch's ReLU gradient is 0, so a mask made with `>=` is caught;
- logits near +-1000, where a softmax without the max shift overflows;
- N > 1 everywhere gradients are compared, so gradients of the summed loss (not the mean) fail;
- a hidden pre-activation below 0 in every network, so a backward pass without the ReLU fails;
- training runs of 1 step (the first loss is the forward pass, before any update), 10 to 25
  steps without and with momentum, and the notebook's spirals (2000 steps with momentum: the
  one case whose inputs are fixed, the notebook's own; see SPIRALS).
`train`'s params are a list of the model's arrays, as torch.optim's are: the checks read the
params after training from that list, and name those the function updated in place
(grader.engine.driver.play).
"""
import math

import numpy as np

from grader.engine.bank import case_key
from grader.engine.compare import assert_close, assert_curve_close, assert_in_place, assert_untouched
from grader.engine.mistakes import IN_PLACE, NOT_IN_PLACE, mistake
from grader.suites import (Case, cases, exact_normal, exact_uniform, graded, matches_torch, normal, published, shape,
                           signs, uniform)

F64, F32 = np.float64, np.float32
PARAMS = ("W1", "b1", "W2", "b2")

# --- inputs ----------------------------------------------------------------------------
# Every case but the spirals is drawn per student (grader.engine.cases): sizes, values and the
# places of the structure that exposes a mistake are the generator's; the structure is the
# case's, on every draw (sizes that must differ are drawn distinct, a dead hidden unit is made,
# not hoped for).

def _sizes(rng, count, low=2, high=7):
    """`count` distinct sizes from `low` to `high`."""
    return [int(n) for n in rng.permutation(np.arange(low, high + 1))[:count]]


def layer(case_id, dtype=F64, square=False, one=None, high=7):
    """A case of x (N, D_in), W (D_out, D_in) and b (D_out,) for `linear`, or grad_out (N, D_out)
    for `linear_backward` (the third argument is both: pick by use). N, D_in and D_out are
    distinct, from 2 to `high` (W is not square, N != D_out), except that `square` makes
    D_in = D_out and `one` ("N", "D_in" or "D_out") is 1."""
    def draw(rng):
        n, d_in, d_out = _sizes(rng, 3, 2, high)
        if square:
            d_out = d_in
        if one:
            n, d_in, d_out = (1 if one == name else v for name, v in zip(("N", "D_in", "D_out"), (n, d_in, d_out)))
        x = normal(rng, (n, d_in), 2.0, dtype)
        W, b = normal(rng, (d_out, d_in), 1.0, dtype), normal(rng, (d_out,), 1.0, dtype)
        return x, W, b, normal(rng, (n, d_out), 1.0, dtype)
    return Case(case_id, draw)


def forward(cases):
    return [Case(c.id, lambda rng, c=c: c.draw(rng)[:3]) for c in cases]


def backward(cases):
    return [Case(c.id, lambda rng, c=c: _pick(c.draw(rng), 0, 1, 3)) for c in cases]


def _pick(values, *at):
    return tuple(values[i] for i in at)


# The square case comes first (it is also the smallest): there `x @ W` runs, so the report of the
# smallest failing case names the mistake instead of showing numpy's shape error.
LAYERS = [layer("float64-square", square=True), layer("float64"), layer("float32", F32), layer("float64-larger", high=10)]
EDGE_LAYERS = [layer("float64-N1", one="N"), layer("float32-D_in1", F32, one="D_in"),
               layer("float64-D_out1", one="D_out")]


def relu_case(case_id, ndim, dtype=F64, zeros=False, low=2, lead=()):
    """x and grad_out of shape `lead` + a random shape of `ndim` axes (sizes `low` to `low` + 3). At random
    places: an x > 0 with grad_out < 0 (a mask taken from grad_out shows), an x < 0 with
    grad_out > 0 (an answer written into grad_out shows); with `zeros`, a third of the x (two
    at least) exactly 0.0 and -0.0, with grad_out != 0 there (a mask made with >= shows)."""
    def draw(rng):
        size = lead + shape(rng, ndim, low, low + 3)
        count = int(np.prod(size, dtype=np.int64))
        x, g = normal(rng, (count,), 2.0), normal(rng, (count,))
        x[0], g[0] = 1.5 + abs(x[0]), -0.5 - abs(g[0])
        x[1], g[1] = -0.5 - abs(x[1]), 0.5 + abs(g[1])
        if zeros:
            at = np.arange(2, 2 + max(2, count // 3))
            x[at] = np.where(at % 2, -0.0, 0.0)
            g[at] = signs(rng, at.shape) * (0.5 + np.abs(g[at]))
        order = rng.permutation(count)
        return x[order].reshape(size).astype(dtype), g[order].reshape(size).astype(dtype)
    return Case(case_id, draw)


def _scalar_relu(rng):
    """0-d x > 0 and grad_out < 0."""
    return uniform(rng, 0.5, 3.0), -uniform(rng, 0.5, 3.0)


RELU = [relu_case("float64-2d", 2), relu_case("float32-2d", 2, F32), relu_case("float64-3d", 3)]
RELU_ZEROS = [relu_case("float64-signed-zeros", 1, zeros=True, low=4), relu_case("float64-2d-zeros", 2, zeros=True, low=3),
              relu_case("float32-2d-zeros", 2, F32, zeros=True, low=3)]
RELU_SHAPES = [Case("float64-scalar", _scalar_relu), relu_case("float32-1d", 1, F32, low=3),
               relu_case("float64-3d", 1, lead=(1, 1))]


def network(rng, n, d, h, c, dtype=F64, x_scale=2.0, zero_row=False, logits=None, fan_in=False):
    """x (n, d), targets (n,) with every class (n >= c), params [W1 (h, d), b1 (h,), W2 (c, h),
    b2 (c,)]. Hidden unit 0 is off for x[0] (a pre-activation below 0 on every draw, so a
    backward pass without the ReLU shows). `zero_row`: b1 = 0 and x[1] = 0, so a whole row of
    pre-activations is exactly 0. `logits`: b2 of size 900 to 1200, one class positive (exp overflows)
    and the others negative, so the logits are near +-1000 with one class far ahead in every
    example (where two are close, a float32 log-sum-exp added back to a logit of 1000 is rounded
    by 6e-5: a right float32 loss would lose its stability points on some draws). `fan_in`:
    weights of scale 1/sqrt(fan-in), as a network starts training (see `training`)."""
    x = normal(rng, (n, d), x_scale)
    targets = rng.permutation(np.arange(n) % c)
    W1, b1 = normal(rng, (h, d), 1 / math.sqrt(d) if fan_in else 1.0), normal(rng, (h,), 0.5)
    W2, b2 = normal(rng, (c, h), 1 / math.sqrt(h) if fan_in else 1.0), normal(rng, (c,), 0.5)
    x[0] = -uniform(rng, 0.5, 1.5) * W1[0]       # x[0] . W1[0] < 0
    b1[0] = -abs(b1[0])
    if zero_row:
        x[1], b1 = 0.0, np.zeros(h)
    if logits:
        b2 = rng.permutation(uniform(rng, 900.0, 1200.0, c) * np.concatenate([[1.0], -np.ones(c - 1)]))
    return x.astype(dtype), targets.astype(np.int64), [p.astype(dtype) for p in (W1, b1, W2, b2)]


def net(case_id, dtype=F64, n=(5, 9), edge=None, **kw):
    """A case of a network: N from n[0] to n[1], D, H and C distinct (H != C: a transposed dW2 has
    the wrong shape) and C < N; `edge` is (N, D) fixed (N = 1 or D = 1)."""
    def draw(rng):
        d, h, c = _sizes(rng, 3, 2, 7)
        size = int(rng.integers(n[0], n[1] + 1))
        if edge:
            size, d = edge
        else:
            c = min(c, size - 1)
            h = h if h != c else c + 1
        return network(rng, size, d, h, c, dtype, **kw)
    return Case(case_id, draw)


NETWORKS = [net("float64"), net("float32", F32), net("float64-zero-preactivations", zero_row=True),
            net("float32-zero-preactivations", F32, zero_row=True)]
HUGE_LOGITS = [net("float64-logits-about-1000", logits=True), net("float32-logits-about-1000", F32, logits=True)]
EDGE_NETWORKS = [net("float64-N1", edge=(1, 3)), net("float32-N1-D1", F32, edge=(1, 1))]


# The notebook's problem: three interleaved spirals in the plane, one class each. Built from
# integer streams with exactly rounded operations (sin and cos as series, as grader.suites'
# portable inputs), so the data, and the bank's reference curve for it, are the same on every CPU.

def _sin_cos(angle):
    """sin and cos of float64 angles from + - * / only: reduced to [-pi, pi], then Taylor series."""
    r = angle - np.round(angle / (2 * math.pi)) * (2 * math.pi)
    r2 = r * r
    sin, cos = np.ones_like(r), np.ones_like(r)
    for k in range(16, 0, -1):   # Horner: 1 - r2/(2k(2k+1)) (1 - ...), and likewise for cos
        sin = 1 - sin * r2 / ((2 * k) * (2 * k + 1))
        cos = 1 - cos * r2 / ((2 * k - 1) * (2 * k))
    return r * sin, cos


def spirals(points_per_class=40, classes=3, seed=0):
    """x (classes * points_per_class, 2) and int targets: arm c of the spiral turns 4 radians
    out from the centre, starting at angle 2 pi c / classes, with a little noise."""
    rng = np.random.default_rng(seed)
    t = exact_uniform(rng, 0.0, 1.0, (classes, points_per_class))   # how far out along the arm
    angle = t * 4.0 + np.arange(classes)[:, None] * (2 * math.pi / classes)
    sin, cos = _sin_cos(angle)
    x = np.stack([t * cos, t * sin], axis=-1).reshape(-1, 2) + exact_normal(rng, (classes * points_per_class, 2), 0.02)
    return x, np.repeat(np.arange(classes), points_per_class)


def initial_params(d_in, hidden, classes, seed=1):
    """Small random weights (scaled like 1/sqrt(fan-in)), zero biases."""
    rng = np.random.default_rng(seed)
    return [exact_normal(rng, (hidden, d_in)), np.zeros(hidden),
            exact_normal(rng, (classes, hidden), 1 / math.sqrt(hidden)), np.zeros(classes)]


SPIRALS_X, SPIRALS_Y = spirals()
SPIRALS_RUN = (SPIRALS_X, SPIRALS_Y, initial_params(2, 32, 3), 0.5, 2000, 0.9)  # lr, steps, momentum
SPIRALS_CASE = ("test_train_spirals", "float64-3-spirals-2000-steps-momentum0.9")


# torch's curve for the spirals, shown in the notebook beside the student's (grader.suites, PUBLISHED)
PUBLISHED = {"spirals_losses": case_key(*SPIRALS_CASE, "train", 0)}


def torch_spirals_curve():
    """torch.optim.SGD's loss curve on the spirals (SPIRALS_RUN), for the notebook's figure."""
    return published("mlp", "spirals_losses")


def training(case_id, lr, steps, momentum=0.0, dtype=F64, **kw):
    """A case of a training run: a network of N 8 to 12 examples, D 2 to 4, H 5 to 8 and C 3 or
    4 (`network`, weights scaled by fan-in), the learning rate, the number of steps and the momentum.
    With weights of scale 1 the logits were about 10 and large steps made the loss jump about:
    on 5 seeds in 200 a right float64 run left torch's float32 curve by 1.6e-5 (rounding
    amplified by the jumps), more than float32's tolerance."""
    def draw(rng):
        n, d, h, c = (int(rng.integers(low, high + 1)) for low, high in ((8, 12), (2, 4), (5, 8), (3, 4)))
        return (*network(rng, n, d, h, c, dtype, x_scale=1.0, fan_in=True, **kw), lr, steps, momentum)
    return Case(case_id, draw)


FIRST_STEP = [training("float64-1-step", 0.5, 1), training("float32-1-step", 0.5, 1, dtype=F32),
              training("float64-1-step-momentum", 0.1, 1, 0.9, zero_row=True)]
PLAIN_RUNS = [training("float64-25-steps-lr0.5", 0.5, 25),
              training("float32-10-steps-lr0.2", 0.2, 10, dtype=F32),
              training("float64-20-steps-lr1-zero-preactivations", 1.0, 20, zero_row=True)]
MOMENTUM_RUNS = [training("float64-25-steps-momentum0.9", 0.1, 25, 0.9),
                 training("float32-10-steps-momentum0.5", 0.2, 10, 0.5, dtype=F32),
                 training("float64-20-steps-momentum0.8", 0.3, 20, 0.8)]
AFTER_RUNS = [training("float64-10-steps", 0.5, 10), training("float32-5-steps", 0.2, 5, dtype=F32)]


def _spirals_run(rng):
    """The notebook's spirals run, the same for everyone (a fresh copy of its params)."""
    x, targets, params, *hyper = SPIRALS_RUN
    return (x, targets, [p.copy() for p in params], *hyper)


# The one case with fixed inputs: the notebook trains on these spirals and shows torch's curve
# for them (PUBLISHED), so this public check can hide nothing, and a run of 2000 steps drawn per
# student would cost every grading a torch run of 2000 steps.
SPIRALS = [Case(SPIRALS_CASE[1], _spirals_run, fixed=True)]


def parts_match(student, ref, api, names, *args, untouched=True):
    """Each named part of the student's answer equals torch's, and the call left its inputs alone.
    Every part is asked for before any is judged: what a check asks must not depend on the answers."""
    got = [getattr(student.part(name), api)(*args) for name in names]
    want = [getattr(ref.part(name), api)(*args) for name in names]
    for outcome, expected in zip(got, want):
        assert_close(outcome, expected)
        if untouched:
            assert_untouched(outcome)


# --- linear ----------------------------------------------------------------------------

@graded("linear", points=2, category="values", public=True)
@cases(*forward(LAYERS))
def test_linear_values(student, ref, x, W, b):
    """x @ W.T + b like F.linear, W of shape (D_out, D_in), float32 and float64"""
    matches_torch(student.linear, ref.linear, x, W, b)


@graded("linear", points=1, category="contract")
@cases(*forward(EDGE_LAYERS))
def test_linear_shapes(student, ref, x, W, b):
    """output (N, D_out) for N, D_in or D_out equal to 1 too; inputs unchanged"""
    matches_torch(student.linear, ref.linear, x, W, b)


# --- linear_backward -------------------------------------------------------------------

@graded("linear_backward", points=2, category="gradient", public=True)
@cases(*backward(LAYERS))
def test_linear_backward_grad_x(student, ref, x, W, grad_out):
    """grad_x = grad_out @ W, shaped like x (autograd)"""
    parts_match(student, ref, "linear_backward", ["grad_x"], x, W, grad_out)


@graded("linear_backward", points=2, category="gradient")
@cases(*backward(LAYERS))
def test_linear_backward_grad_W(student, ref, x, W, grad_out):
    """grad_W = grad_out.T @ x, shaped like W (D_out, D_in) (autograd)"""
    parts_match(student, ref, "linear_backward", ["grad_W"], x, W, grad_out)


@graded("linear_backward", points=1, category="gradient")
@cases(*backward(LAYERS))
def test_linear_backward_grad_b(student, ref, x, W, grad_out):
    """grad_b = grad_out summed over the batch (axis 0), shape (D_out,), with N != D_out"""
    parts_match(student, ref, "linear_backward", ["grad_b"], x, W, grad_out)


@graded("linear_backward", points=1, category="contract")
@cases(*backward(EDGE_LAYERS))
def test_linear_backward_shapes(student, ref, x, W, grad_out):
    """all three gradients keep their shapes for N, D_in or D_out equal to 1; inputs unchanged"""
    parts_match(student, ref, "linear_backward", ["grad_x", "grad_W", "grad_b"], x, W, grad_out)


# --- relu_backward ---------------------------------------------------------------------

@graded("relu_backward", points=2, category="gradient", public=True)
@cases(*RELU)
def test_relu_backward_values(student, ref, x, grad_out):
    """grad_out where x > 0, else 0 (autograd of relu)"""
    matches_torch(student.relu_backward, ref.relu_backward, x, grad_out)


@graded("relu_backward", points=1, category="gradient")
@cases(*RELU_ZEROS)
def test_relu_backward_at_zero(student, ref, x, grad_out):
    """0 where x is exactly 0 (or -0.0), as torch's relu gradient is"""
    matches_torch(student.relu_backward, ref.relu_backward, x, grad_out)


@graded("relu_backward", points=1, category="contract")
@cases(*RELU_SHAPES)
def test_relu_backward_contract(student, ref, x, grad_out):
    """any shape (0-d, 1-D, 3-D); x and grad_out unchanged"""
    matches_torch(student.relu_backward, ref.relu_backward, x, grad_out)


# --- mlp_loss_and_grads ----------------------------------------------------------------

ALL_PARTS = ["loss", "dW1", "db1", "dW2", "db2"]


@graded("mlp_loss_and_grads", points=2, category="values", public=True)
@cases(*NETWORKS)
def test_mlp_loss(student, ref, x, targets, params):
    """the loss is the mean cross-entropy of the network's logits (F.cross_entropy)"""
    parts_match(student, ref, "mlp_loss_and_grads", ["loss"], x, targets, params)


@graded("mlp_loss_and_grads", points=2, category="gradient")
@cases(*NETWORKS)
def test_mlp_output_layer_grads(student, ref, x, targets, params):
    """dW2 and db2: (softmax - onehot) / N through the last layer (autograd)"""
    parts_match(student, ref, "mlp_loss_and_grads", ["dW2", "db2"], x, targets, params)


@graded("mlp_loss_and_grads", points=2, category="gradient")
@cases(*NETWORKS)
def test_mlp_hidden_layer_grads(student, ref, x, targets, params):
    """dW1 and db1 through the ReLU (0 where a pre-activation is exactly 0) (autograd)"""
    parts_match(student, ref, "mlp_loss_and_grads", ["dW1", "db1"], x, targets, params)


@graded("mlp_loss_and_grads", points=2, category="stability")
@cases(*HUGE_LOGITS)
def test_mlp_stability(student, ref, x, targets, params):
    """logits near +-1000: the loss and every gradient finite and right (softmax max shift)"""
    parts_match(student, ref, "mlp_loss_and_grads", ALL_PARTS, x, targets, params)


@graded("mlp_loss_and_grads", points=1, category="contract")
@cases(*EDGE_NETWORKS)
def test_mlp_contract(student, ref, x, targets, params):
    """the loss and gradients shaped like the params for N = 1 and D_in = 1; inputs unchanged"""
    parts_match(student, ref, "mlp_loss_and_grads", ALL_PARTS, x, targets, params)


# --- train -----------------------------------------------------------------------------

def curve_matches(student, ref, *args):
    got = student.part("losses").train(*args)
    assert_curve_close(got, ref.part("losses").train(*args))
    return got


@graded("train", points=1, category="values", public=True)
@cases(*FIRST_STEP)
def test_train_first_loss(student, ref, x, targets, params, lr, steps, momentum):
    """one step: the loss recorded is the forward pass's, before the update"""
    curve_matches(student, ref, x, targets, params, lr, steps, momentum)


@graded("train", points=2, category="values")
@cases(*PLAIN_RUNS)
def test_train_curve(student, ref, x, targets, params, lr, steps, momentum):
    """the loss curve of plain SGD equals torch.optim.SGD's from the same params, step by step"""
    curve_matches(student, ref, x, targets, params, lr, steps, momentum)


@graded("train", points=2, category="options")
@cases(*MOMENTUM_RUNS)
def test_train_momentum(student, ref, x, targets, params, lr, steps, momentum):
    """with momentum, the loss curve equals torch.optim.SGD(lr, momentum)'s (buffer b = mu b + g)"""
    curve_matches(student, ref, x, targets, params, lr, steps, momentum)


@graded("train", points=1, category="values")
@cases(*AFTER_RUNS)
def test_train_params(student, ref, x, targets, params, lr, steps, momentum):
    """the params after training equal torch's"""
    parts_match(student, ref, "train", PARAMS, x, targets, params, lr, steps, momentum,
                untouched=False)   # a trainer changes its params: that is test_train_in_place's business


@graded("train", points=1, category="contract")
@cases(*AFTER_RUNS)
def test_train_in_place(student, ref, x, targets, params, lr, steps, momentum):
    """the caller's param arrays are updated in place (as torch.optim updates a model's)"""
    got = student.part("losses").train(x, targets, params, lr, steps, momentum)
    changed = [f"params[{i}]" for i, name in enumerate(PARAMS)   # every param torch's run changes
               if not np.array_equal(params[i], ref.part(name).train(x, targets, params, lr, steps, momentum))]
    assert_in_place(got, changed)


@graded("train", points=1, category="values", public=True)
@cases(*SPIRALS)
def test_train_spirals(student, ref, x, targets, params, lr, steps, momentum):
    """the notebook's three spirals: 2000 steps with momentum follow torch's curve"""
    curve_matches(student, ref, x, targets, params, lr, steps, momentum)


# --- known mistakes --------------------------------------------------------------------
# Each is the solution with one wrong habit; `fails` lists the checks it must fail (the kit's
# tests prove it, and that it is named).

def _relu_grad(z, dh):
    return dh * (z > 0)


def _forward_backward(x, targets, params, mask=_relu_grad, shift=True, mean=True, grad_scale=True,
                      transpose_dW2=False, bias_axis=0):
    """The solution's mlp_loss_and_grads, with switches for the mistakes below."""
    W1, b1, W2, b2 = params
    z = x @ W1.T + b1
    h = np.maximum(z, 0)
    logits = h @ W2.T + b2
    if shift:
        logits = logits - logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    else:   # the naive way: exp overflows to inf, and inf / inf is NaN
        e = np.exp(logits)
        log_probs = np.log(e / e.sum(axis=1, keepdims=True))
    n = len(x)
    picked = -log_probs[np.arange(n), targets]
    loss = picked.mean() if mean else picked.sum()
    d = np.exp(log_probs)
    d[np.arange(n), targets] -= 1
    if grad_scale:
        d /= n
    dW2 = h.T @ d if transpose_dW2 else d.T @ h
    dz = mask(z, d @ W2)
    return loss, [dz.T @ x, dz.sum(axis=bias_axis), dW2, d.sum(axis=bias_axis)]


@mistake("linear", "W not transposed: x @ W (torch's F.linear computes x @ W.T, with W of shape (D_out, D_in))",
         fix="return x @ W.T + b", fails=["test_linear_values", "test_linear_shapes"])
def linear_untransposed(x, W, b):
    return x @ W + b


@mistake("linear", "output transposed: W @ x.T is (D_out, N)", fix="(x @ W.T + b) is (N, D_out)",
         fails=["test_linear_values", "test_linear_shapes"])
def linear_transposed_output(x, W, b):
    return W @ x.T + b[:, None]


@mistake("linear", "bias left out", fix="add b (it broadcasts over the batch): x @ W.T + b",
         fails=["test_linear_values", "test_linear_shapes"])
def linear_no_bias(x, W, b):
    return x @ W.T


@mistake("linear", "the output squeezed (np.squeeze drops the axes of size 1)",
         fix="keep the shape (N, D_out) even when N or D_out is 1", fails=["test_linear_shapes"])
def linear_squeezed(x, W, b):
    return np.squeeze(x @ W.T + b)


@mistake("linear_backward", "grad_x = grad_out @ W.T (W transposed the wrong way)",
         fix="grad_x = grad_out @ W: (N, D_out) @ (D_out, D_in)",
         fails=["test_linear_backward_grad_x", "test_linear_backward_grad_W", "test_linear_backward_grad_b",
                "test_linear_backward_shapes"])   # it raises for a W that is not square
def linear_backward_grad_x_transposed(x, W, grad_out):
    return grad_out @ W.T, grad_out.T @ x, grad_out.sum(axis=0)


@mistake("linear_backward", "grad_W transposed: x.T @ grad_out is (D_in, D_out)",
         fix="grad_W = grad_out.T @ x, shaped like W (D_out, D_in)",
         fails=["test_linear_backward_grad_W", "test_linear_backward_shapes"])
def linear_backward_grad_W_transposed(x, W, grad_out):
    return grad_out @ W, x.T @ grad_out, grad_out.sum(axis=0)


@mistake("linear_backward", "bias gradient summed over the wrong axis (axis 1: one value per example)",
         fix="grad_b = grad_out.sum(axis=0): the bias is shared by every example of the batch, so "
             "its gradient adds up theirs",
         fails=["test_linear_backward_grad_b", "test_linear_backward_shapes"])
def linear_backward_bias_wrong_axis(x, W, grad_out):
    return grad_out @ W, grad_out.T @ x, grad_out.sum(axis=1)


@mistake("linear_backward", "bias gradient averaged over the batch instead of summed",
         fix="grad_b = grad_out.sum(axis=0): any 1/N belongs to the loss, and grad_out already has it",
         fails=["test_linear_backward_grad_b", "test_linear_backward_shapes"])
def linear_backward_bias_mean(x, W, grad_out):
    return grad_out @ W, grad_out.T @ x, grad_out.mean(axis=0)


@mistake("linear_backward", "bias gradient kept as a (1, D_out) row (keepdims=True)",
         fix="grad_b = grad_out.sum(axis=0), shaped like b (D_out,)",
         fails=["test_linear_backward_grad_b", "test_linear_backward_shapes"])
def linear_backward_bias_keepdims(x, W, grad_out):
    return grad_out @ W, grad_out.T @ x, grad_out.sum(axis=0, keepdims=True)


@mistake("relu_backward", "ReLU mask made with >=: the gradient passes where x is exactly 0",
         fix="torch's ReLU gradient is 0 at 0: grad_out * (x > 0)", fails=["test_relu_backward_at_zero"])
def relu_backward_ge(x, grad_out):
    return grad_out * (x >= 0)


@mistake("relu_backward", "ReLU mask taken from grad_out, not from the input x",
         fix="the mask is where the forward input was positive: grad_out * (x > 0)",
         fails=["test_relu_backward_values", "test_relu_backward_at_zero", "test_relu_backward_contract"])
def relu_backward_mask_from_grad(x, grad_out):
    return grad_out * (grad_out > 0)


@mistake("relu_backward", "multiplied by the ReLU's output relu(x) instead of its derivative (0 or 1)",
         fix="d relu/dx is 1 where x > 0 and 0 elsewhere: grad_out * (x > 0)",
         fails=["test_relu_backward_values", "test_relu_backward_at_zero", "test_relu_backward_contract"])
def relu_backward_times_output(x, grad_out):
    return grad_out * np.maximum(x, 0)


@mistake("relu_backward", *IN_PLACE, fails=["test_relu_backward_values", "test_relu_backward_at_zero",
                                            "test_relu_backward_contract"])
def relu_backward_in_place(x, grad_out):
    grad_out[x <= 0] = 0
    return grad_out


@mistake("mlp_loss_and_grads", "gradients not divided by N (those of the summed loss, not the mean)",
         fix="the loss is the mean over the batch, so dlogits = (softmax - onehot) / N",
         fails=["test_mlp_output_layer_grads", "test_mlp_hidden_layer_grads", "test_mlp_stability"])
def mlp_grads_not_divided(x, targets, params):
    return _forward_backward(x, targets, params, grad_scale=False)


@mistake("mlp_loss_and_grads", "loss summed over the batch, not averaged (and its gradients with it)",
         fix="F.cross_entropy's default reduction is the mean: divide the loss and dlogits by N",
         fails=["test_mlp_loss", "test_mlp_output_layer_grads", "test_mlp_hidden_layer_grads",
                "test_mlp_stability"])
def mlp_summed_loss(x, targets, params):
    return _forward_backward(x, targets, params, mean=False, grad_scale=False)


@mistake("mlp_loss_and_grads", "softmax without the max shift: exp(logits) overflows for large logits",
         fix="subtract the row's max from the logits before exp (softmax is unchanged by a shift)",
         fails=["test_mlp_stability"])
def mlp_no_max_shift(x, targets, params):
    return _forward_backward(x, targets, params, shift=False)


@mistake("mlp_loss_and_grads", "ReLU mask made with >= (or from the output h >= 0): the gradient "
         "passes where a pre-activation is exactly 0",
         fix="torch's ReLU gradient is 0 at 0: dz = dh * (z > 0)", fails=["test_mlp_hidden_layer_grads"])
def mlp_relu_mask_ge(x, targets, params):
    return _forward_backward(x, targets, params, mask=lambda z, dh: dh * (z >= 0))


@mistake("mlp_loss_and_grads", "no ReLU in the backward pass: dz = dh, as if the layer were linear",
         fix="dz = dh * (z > 0), z the hidden pre-activation",
         fails=["test_mlp_hidden_layer_grads", "test_mlp_stability", "test_mlp_contract"])
def mlp_no_relu_backward(x, targets, params):
    return _forward_backward(x, targets, params, mask=lambda z, dh: dh)


@mistake("mlp_loss_and_grads", "dW2 transposed: h.T @ dlogits is (H, C)",
         fix="dW2 = dlogits.T @ h, shaped like W2 (C, H)",
         fails=["test_mlp_output_layer_grads", "test_mlp_stability", "test_mlp_contract"])
def mlp_dW2_transposed(x, targets, params):
    return _forward_backward(x, targets, params, transpose_dW2=True)


@mistake("mlp_loss_and_grads", "bias gradients summed over the wrong axis (axis 1: one value per example)",
         fix="db = d.sum(axis=0): each bias is shared by the whole batch",
         fails=["test_mlp_output_layer_grads", "test_mlp_hidden_layer_grads", "test_mlp_stability",
                "test_mlp_contract"])
def mlp_bias_wrong_axis(x, targets, params):
    return _forward_backward(x, targets, params, bias_axis=1)


def _fit(x, targets, params, lr, steps, momentum=0.0, grads=_forward_backward, after=False,
         update="in place", velocity="torch"):
    """The solution's train, with switches for the mistakes below."""
    bufs = [np.zeros_like(p) for p in params]
    W = list(params)   # what a rebinding loop updates instead of the caller's arrays
    losses = []
    for _ in range(steps):
        loss, g = grads(x, targets, W if update == "rebinds" else params)
        if not after:
            losses.append(float(loss))
        for i, gi in enumerate(g):
            if velocity == "torch":
                bufs[i] = momentum * bufs[i] + gi
            elif velocity == "ema":
                bufs[i] = momentum * bufs[i] + (1 - momentum) * gi
            else:   # "fresh": a buffer made anew each step
                bufs[i] = momentum * np.zeros_like(gi) + gi
            if update == "in place":
                params[i] -= lr * bufs[i]
            elif update == "replaces":
                params[i] = params[i] - lr * bufs[i]
            else:
                W[i] = W[i] - lr * bufs[i]
        if after:
            losses.append(float(grads(x, targets, params)[0]))
    return losses


ALL_CURVES = ["test_train_first_loss", "test_train_curve", "test_train_momentum", "test_train_spirals"]


@mistake("train", "losses recorded after each step instead of before it",
         fix="compute the loss and gradients, append the loss, then update the params: losses[0] is "
             "the loss of the starting params", fails=ALL_CURVES)
def train_losses_after(x, targets, params, lr, steps, momentum=0.0):
    return _fit(x, targets, params, lr, steps, momentum, after=True)


@mistake("train", "params rebound (W1 = W1 - lr * dW1) instead of updated: the caller's params never change",
         fix="update each array itself: p -= lr * v (or p[...] = ...)",
         fails=["test_train_params", "test_train_in_place"])
def train_rebinds(x, targets, params, lr, steps, momentum=0.0):
    return _fit(x, targets, params, lr, steps, momentum, update="rebinds")


@mistake("train", *NOT_IN_PLACE, fails=["test_train_in_place"])
def train_replaces(x, targets, params, lr, steps, momentum=0.0):
    return _fit(x, targets, params, lr, steps, momentum, update="replaces")


@mistake("train", "momentum buffer started at zero with dampening (b = mu b + (1 - mu) g, a moving average)",
         fix="torch.optim.SGD with dampening 0: b = mu b + g (b = g on the first step), then p -= lr b",
         fails=["test_train_momentum", "test_train_spirals"])
def train_momentum_dampened(x, targets, params, lr, steps, momentum=0.0):
    return _fit(x, targets, params, lr, steps, momentum, velocity="ema")


@mistake("train", "momentum buffer made anew every step, so momentum has no effect",
         fix="keep one buffer per param across the steps (make them before the loop)",
         fails=["test_train_momentum", "test_train_spirals"])
def train_fresh_buffer(x, targets, params, lr, steps, momentum=0.0):
    return _fit(x, targets, params, lr, steps, momentum, velocity="fresh")


@mistake("train", "gradients of the summed loss (not divided by N): steps N times too large",
         fix="train on the mean loss's gradients, as mlp_loss_and_grads returns them",
         fails=["test_train_curve", "test_train_momentum", "test_train_params", "test_train_spirals"])
def train_grads_not_divided(x, targets, params, lr, steps, momentum=0.0):
    return _fit(x, targets, params, lr, steps, momentum,
                grads=lambda *a: _forward_backward(*a, grad_scale=False))
