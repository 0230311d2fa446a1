"""Checks for the activations assignment: sigmoid, sigmoid_grad, softmax, log_softmax.

Inputs are drawn to expose known mistakes: 0-d and 3-D arrays, axis != -1, float32 values
whose exp overflows (exp(89) > float32 max), rows of values near +-1000 (exp overflows or
underflows) and rows whose entries lie 800 to 1200 apart (log(softmax) is -inf there).
Ordinary-value checks draw moderate inputs (|x| < 11) on which a numerically naive but
otherwise right formula is exact, so naivety costs only the stability points. Every size that
an axis mistake must show on is at least 2.
"""
import math

import numpy as np

from grader.engine.mistakes import IN_PLACE, mistake
from grader.suites import Case, cases, graded, matches_torch, normal, shape, signs, uniform

F64, F32 = np.float64, np.float32


def _ordinary(ndim, dtype, scale=3.0):
    return lambda rng: normal(rng, shape(rng, ndim, 2, 6), scale, dtype)


ORDINARY = [Case(f"{np.dtype(d).name}-{n}d", _ordinary(n, d)) for n in (1, 2, 3) for d in (F64, F32)]


def _scalar(dtype):
    """A 0-d value away from 0 (where some wrong sigmoids happen to be right)."""
    return lambda rng: np.array(signs(rng) * uniform(rng, 0.25, 4.0), dtype=dtype)


THREE_D = [Case("float64-3d", _ordinary(3, F64)), Case("float32-3d", _ordinary(3, F32))]
SCALAR_AND_3D = [Case("float64-scalar", _scalar(F64)), Case("float32-scalar", _scalar(F32)), *THREE_D]


def _extremes(dtype, overflow):
    """Huge values of both signs (some past `overflow`, where exp overflows), moderate ones
    and 0, in random order."""
    def draw(rng):
        huge = uniform(rng, overflow + 1, 2 * overflow, 2) * np.array([1.0, -1.0])
        large = signs(rng, 2) * uniform(rng, 30.0, overflow - 1, 2)
        x = np.concatenate([huge, large, uniform(rng, -2.0, 2.0, 2), [0.0]])
        return rng.permutation(x).astype(dtype)
    return draw


HUGE_SCALARS = [Case("float64", _extremes(F64, 710.0)), Case("float32", _extremes(F32, 89.0))]


def _large_rows(rng):
    """Rows of values within +-3.5 of an offset of 800 to 1200 (a positive one and a negative
    one at least): exp of them overflows or underflows, their differences are ordinary."""
    rows, cols = shape(rng, 2, 2, 5)
    offsets = uniform(rng, 800.0, 1200.0, rows) * np.concatenate([[1.0, -1.0], signs(rng, rows - 2)])
    return rng.permutation(offsets)[:, None] + normal(rng, (rows, cols))


def _gap_rows(rng):
    """Rows whose largest entry (near 0, at a random place) is 800 to 1200 above the others:
    their softmax underflows to exactly 0."""
    rows, cols = shape(rng, 2, 2, 5)
    x = normal(rng, (rows, 1)) - uniform(rng, 800.0, 1200.0, (rows, cols))
    x[np.arange(rows), rng.integers(0, cols, rows)] = normal(rng, (rows,))
    return x


def _float32_rows(rng):
    """float32 rows of values from 89 to 100: exp overflows float32."""
    return uniform(rng, 89.0, 100.0, shape(rng, 2, 2, 4), F32)


def _huge_3d(rng):
    """3-D values of both signs from 300 to 10000 in size: one-hot softmaxes."""
    size = shape(rng, 3, 2, 3)
    return signs(rng, size) * uniform(rng, 300.0, 1e4, size)


HUGE_ROWS = [Case("float64-1000", _large_rows), Case("float64-gap", _gap_rows),
             Case("float32-89", _float32_rows), Case("float64-3d", _huge_3d)]


def _on_axis(ndim, axis, dtype=F64):
    return lambda rng: (normal(rng, shape(rng, ndim, 2, 5), 3.0, dtype), axis)


AXES = [Case("1d-axis0", _on_axis(1, 0)), Case("2d-axis0", _on_axis(2, 0)), Case("3d-axis0", _on_axis(3, 0)),
        Case("3d-axis1", _on_axis(3, 1)), Case("3d-axis-2", _on_axis(3, -2)),
        Case("3d-float32-axis1", _on_axis(3, 1, F32))]


# --- sigmoid ---------------------------------------------------------------------------

@graded("sigmoid", points=2, category="values", public=True)
@cases(*ORDINARY)
def test_sigmoid_values(student, ref, x):
    """matches torch.sigmoid on ordinary float32 and float64 inputs"""
    matches_torch(student.sigmoid, ref.sigmoid, x)


@graded("sigmoid", points=2, category="stability")
@cases(*HUGE_SCALARS)
def test_sigmoid_extremes(student, ref, x):
    """exactly 0 or 1 for huge |x|, never NaN (no overflow in exp)"""
    matches_torch(student.sigmoid, ref.sigmoid, x)


@graded("sigmoid", points=1, category="contract")
@cases(*SCALAR_AND_3D)
def test_sigmoid_contract(student, ref, x):
    """keeps the input's shape (0-d and 3-D too) and leaves the input unchanged"""
    matches_torch(student.sigmoid, ref.sigmoid, x)


# --- sigmoid_grad ----------------------------------------------------------------------

@graded("sigmoid_grad", points=2, category="gradient", public=True)
@cases(*ORDINARY)
def test_sigmoid_grad_values(student, ref, x):
    """matches torch.autograd's derivative of sigmoid"""
    matches_torch(student.sigmoid_grad, ref.sigmoid_grad, x)


@graded("sigmoid_grad", points=1, category="stability")
@cases(*HUGE_SCALARS)
def test_sigmoid_grad_extremes(student, ref, x):
    """0 (not NaN) for huge |x|"""
    matches_torch(student.sigmoid_grad, ref.sigmoid_grad, x)


@graded("sigmoid_grad", points=1, category="contract")
@cases(*SCALAR_AND_3D)
def test_sigmoid_grad_contract(student, ref, x):
    """keeps the input's shape (0-d and 3-D too) and leaves the input unchanged"""
    matches_torch(student.sigmoid_grad, ref.sigmoid_grad, x)


# --- softmax ---------------------------------------------------------------------------

@graded("softmax", points=2, category="values", public=True)
@cases(*ORDINARY)
def test_softmax_values(student, ref, x):
    """matches torch.softmax over the last axis (the default)"""
    matches_torch(student.softmax, ref.softmax, x)


@graded("softmax", points=2, category="options")
@cases(*AXES)
def test_softmax_axis(student, ref, x, axis):
    """normalises over the `axis` it is given (0, 1, -2, ... on 1-D to 3-D inputs)"""
    matches_torch(student.softmax, ref.softmax, x, axis)


@graded("softmax", points=1, category="stability")
@cases(*HUGE_ROWS)
def test_softmax_stability(student, ref, x):
    """no overflow for large inputs: softmax([1000, 1001]) = [0.269, 0.731]"""
    matches_torch(student.softmax, ref.softmax, x)


@graded("softmax", points=1, category="contract")
@cases(*THREE_D)
def test_softmax_contract(student, ref, x):
    """keeps the input's shape and leaves the input unchanged"""
    matches_torch(student.softmax, ref.softmax, x)


# --- log_softmax -----------------------------------------------------------------------

@graded("log_softmax", points=2, category="values", public=True)
@cases(*ORDINARY)
def test_log_softmax_values(student, ref, x):
    """matches torch.log_softmax over the last axis (the default)"""
    matches_torch(student.log_softmax, ref.log_softmax, x)


@graded("log_softmax", points=1, category="options")
@cases(*AXES)
def test_log_softmax_axis(student, ref, x, axis):
    """works over the `axis` it is given"""
    matches_torch(student.log_softmax, ref.log_softmax, x, axis)


@graded("log_softmax", points=2, category="stability")
@cases(*HUGE_ROWS)
def test_log_softmax_stability(student, ref, x):
    """finite for large gaps and large values: log_softmax([0, -1000]) = [0, -1000]"""
    matches_torch(student.log_softmax, ref.log_softmax, x)


@graded("log_softmax", points=1, category="contract")
@cases(*THREE_D)
def test_log_softmax_contract(student, ref, x):
    """keeps the input's shape and leaves the input unchanged"""
    matches_torch(student.log_softmax, ref.log_softmax, x)


# --- known mistakes --------------------------------------------------------------------
# Each is a wrong implementation a student really writes; `fails` lists the checks it must
# fail (the kit's tests prove it, and that it is named when it does).

def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


ALL_SIGMOID = ["test_sigmoid_values", "test_sigmoid_extremes", "test_sigmoid_contract"]
ALL_GRAD = ["test_sigmoid_grad_values", "test_sigmoid_grad_extremes", "test_sigmoid_grad_contract"]


@mistake("sigmoid", "sign flipped: 1/(1+exp(x)) is sigmoid(-x)",
         fix="sigmoid(x) = 1/(1+exp(-x)), minus sign inside the exp", fails=ALL_SIGMOID)
def sigmoid_sign_flipped(x):
    return 1 / (1 + np.exp(x))


@mistake("sigmoid", "exp(x)/(1+exp(x)) overflows to inf/inf = NaN for large positive x",
         fix="use 1/(1+exp(-x)) for x >= 0 and exp(x)/(1+exp(x)) for x < 0 (np.where), "
             "or np.exp(-np.logaddexp(0, -x))", fails=["test_sigmoid_extremes"])
def sigmoid_overflows(x):
    return np.exp(x) / (1 + np.exp(x))


@mistake("sigmoid", "tanh(x) is not the logistic sigmoid",
         fix="sigmoid(x) = 1/(1+exp(-x)) = (1 + tanh(x/2))/2", fails=ALL_SIGMOID)
def sigmoid_is_tanh(x):
    return np.tanh(x)


@mistake("sigmoid_grad", "x*(1-x): the derivative formula applied to x instead of sigmoid(x)",
         fix="s = sigmoid(x); return s * (1 - s)", fails=ALL_GRAD)
def sigmoid_grad_of_x(x):
    return x * (1 - x)


@mistake("sigmoid_grad", "returned sigmoid(x) itself, not its derivative",
         fix="d/dx sigmoid(x) = sigmoid(x) * (1 - sigmoid(x))", fails=ALL_GRAD)
def sigmoid_grad_is_sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))


@mistake("sigmoid_grad", "exp(-x)/(1+exp(-x))**2 overflows to inf/inf = NaN for large negative x",
         fix="compute s = sigmoid(x) stably, then s * (1 - s)", fails=["test_sigmoid_grad_extremes"])
def sigmoid_grad_overflows(x):
    return np.exp(-x) / (1 + np.exp(-x)) ** 2


@mistake("softmax", "normalised over axis 0 instead of the `axis` argument",
         fix="np.sum(e, axis=axis, keepdims=True), and the same axis for the max",
         fails=["test_softmax_values", "test_softmax_axis", "test_softmax_stability", "test_softmax_contract"])
def softmax_axis0(x, axis=-1):
    return _softmax(x, axis=0)


@mistake("softmax", "ignored the `axis` argument (always the last axis)",
         fix="pass axis through: np.max(x, axis=axis, keepdims=True) and np.sum(..., axis=axis, keepdims=True)",
         fails=["test_softmax_axis"])
def softmax_ignores_axis(x, axis=-1):
    return _softmax(x, axis=-1)


@mistake("softmax", "normalised over the whole array instead of along an axis",
         fix="np.sum(e, axis=axis, keepdims=True), not np.sum(e)",
         fails=["test_softmax_values", "test_softmax_axis", "test_softmax_stability", "test_softmax_contract"])
def softmax_whole_array(x, axis=-1):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


@mistake("softmax", "no max subtraction: exp overflows to inf and inf/inf = NaN for large inputs",
         fix="subtract np.max(x, axis=axis, keepdims=True) before np.exp; softmax is unchanged by it",
         fails=["test_softmax_stability"])
def softmax_unshifted(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


@mistake("log_softmax", "log(softmax(x)): softmax underflows to 0 and its log is -inf",
         fix="log_softmax(x) = (x - m) - log(sum(exp(x - m))) with m = max(x, axis): never take log of a softmax",
         fails=["test_log_softmax_stability"])
def log_softmax_log_of_softmax(x, axis=-1):
    return np.log(_softmax(x, axis))


@mistake("log_softmax", "subtracted the max but not the log-sum-exp",
         fix="(x - m) - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))",
         fails=["test_log_softmax_values", "test_log_softmax_axis", "test_log_softmax_stability",
                "test_log_softmax_contract"])
def log_softmax_no_logsumexp(x, axis=-1):
    return x - np.max(x, axis=axis, keepdims=True)


@mistake("log_softmax", "log-sum-exp without the max shift: exp overflows to inf for large inputs",
         fix="shift first: m = max(x, axis); (x - m) - log(sum(exp(x - m)))",
         fails=["test_log_softmax_stability"])
def log_softmax_unshifted(x, axis=-1):
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


@mistake("log_softmax", "ignored the `axis` argument (always the last axis)",
         fix="use axis=axis in both the max and the sum", fails=["test_log_softmax_axis"])
def log_softmax_ignores_axis(x, axis=-1):
    m = np.max(x, axis=-1, keepdims=True)
    return (x - m) - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))


@mistake("softmax", *IN_PLACE,
         fails=["test_softmax_values", "test_softmax_axis", "test_softmax_stability", "test_softmax_contract"])
def softmax_in_place(x, axis=-1):
    x -= np.max(x, axis=axis, keepdims=True)
    np.exp(x, out=x)
    x /= np.sum(x, axis=axis, keepdims=True)
    return x


# =======================================================================================
# Wave 2 (issue 18): tanh, relu, leaky_relu, elu, softplus, gelu.
#
# Cases as in the first part: values, shapes and positions drawn per student, the structure
# (infinities, values past exp's overflow, a value exactly at softplus's switch) kept by every
# draw. The ordinary-value and contract checks reuse the cases above (moderate values, |x| < 11).

def _spread(values, dtype):
    """`values` in random order, each below 1e30 in size times a random factor from 1 to 1.5
    (so they vary but keep their size; 0, infinities and the near-maximal ones stay), as `dtype`."""
    def draw(rng):
        x = np.array(values, dtype=np.float64)
        x = x * np.where(np.abs(x) < 1e30, uniform(rng, 1.0, 1.5, x.shape), 1.0)
        return rng.permutation(x).astype(dtype)
    return draw


def _with(draw, *options):
    """A draw of x followed by fixed option values (the check's other arguments)."""
    return lambda rng: (draw(rng), *options)


_INF = np.inf
# Infinities and values near the float64/float32 maximum: masks multiplied into the answer
# give inf * 0 = NaN, and (x + |x|) / 2 overflows.
EDGES = [
    Case("float64-infinities", _spread([-_INF, -1.5e308, -3.0, -0.0, 0.0, 2.0, 1.5e308, _INF], np.float64)),
    Case("float32-infinities", _spread([-_INF, -3e38, -1.0, 0.0, 1.0, 3e38, _INF], np.float32)),
]
# Huge finite values: exp overflows (past 710 in float64, 89 in float32) or underflows.
HUGE = [
    Case("float64", _spread([-1000.0, -100.0, -40.0, -1.0, 0.0, 1.0, 40.0, 100.0, 1000.0], np.float64)),
    Case("float32", _spread([-100.0, -89.0, -1.0, 0.0, 1.0, 89.0, 100.0], np.float32)),
]


# --- tanh ------------------------------------------------------------------------------

@graded("tanh", points=2, category="values", public=True)
@cases(*ORDINARY)
def test_tanh_values(student, ref, x):
    """matches torch.tanh on ordinary float32 and float64 inputs"""
    matches_torch(student.tanh, ref.tanh, x)


@graded("tanh", points=2, category="stability")
@cases(*HUGE)
def test_tanh_extremes(student, ref, x):
    """exactly -1 or 1 for huge |x|, never NaN: tanh(1000) = 1 (no inf/inf)"""
    matches_torch(student.tanh, ref.tanh, x)


@graded("tanh", points=1, category="contract")
@cases(*SCALAR_AND_3D)
def test_tanh_contract(student, ref, x):
    """keeps the input's shape (0-d and 3-D too) and leaves the input unchanged"""
    matches_torch(student.tanh, ref.tanh, x)


# --- relu ------------------------------------------------------------------------------

@graded("relu", points=2, category="values", public=True)
@cases(*ORDINARY)
def test_relu_values(student, ref, x):
    """matches torch.relu on ordinary float32 and float64 inputs"""
    matches_torch(student.relu, ref.relu, x)


@graded("relu", points=1, category="stability")
@cases(*EDGES)
def test_relu_edges(student, ref, x):
    """infinities and values near the float maximum: relu(-inf) = 0, relu(1.5e308) = 1.5e308"""
    matches_torch(student.relu, ref.relu, x)


@graded("relu", points=1, category="contract")
@cases(*SCALAR_AND_3D)
def test_relu_contract(student, ref, x):
    """keeps the input's shape (0-d and 3-D too) and leaves the input unchanged"""
    matches_torch(student.relu, ref.relu, x)


# --- leaky_relu ------------------------------------------------------------------------

SLOPES = [
    Case("float64-slope0.2", _with(_ordinary(2, F64, 3.0), 0.2)),
    Case("float64-slope0", _with(_ordinary(1, F64, 3.0), 0.0)),
    Case("float64-slope-0.5", _with(_ordinary(2, F64, 3.0), -0.5)),
    Case("float64-slope1.5", _with(_ordinary(2, F64, 3.0), 1.5)),
    Case("float32-slope3", _with(_ordinary(3, F32, 3.0), 3.0)),
]


@graded("leaky_relu", points=2, category="values", public=True)
@cases(*ORDINARY)
def test_leaky_relu_values(student, ref, x):
    """matches F.leaky_relu with the default negative_slope=0.01"""
    matches_torch(student.leaky_relu, ref.leaky_relu, x)


@graded("leaky_relu", points=2, category="options")
@cases(*SLOPES)
def test_leaky_relu_slopes(student, ref, x, negative_slope):
    """any negative_slope: 0, negative, and greater than 1 (x if x > 0 else slope * x)"""
    matches_torch(student.leaky_relu, ref.leaky_relu, x, negative_slope)


@graded("leaky_relu", points=1, category="stability")
@cases(*EDGES)
def test_leaky_relu_edges(student, ref, x):
    """infinities and values near the float maximum: leaky_relu(inf) = inf, not inf * 0 = NaN"""
    matches_torch(student.leaky_relu, ref.leaky_relu, x)


@graded("leaky_relu", points=1, category="contract")
@cases(*SCALAR_AND_3D)
def test_leaky_relu_contract(student, ref, x):
    """keeps the input's shape (0-d and 3-D too) and leaves the input unchanged"""
    matches_torch(student.leaky_relu, ref.leaky_relu, x)


# --- elu -------------------------------------------------------------------------------

ALPHAS = [
    Case("float64-alpha0.5", _with(_ordinary(2, F64, 3.0), 0.5)),
    Case("float64-alpha2", _with(_ordinary(1, F64, 3.0), 2.0)),
    Case("float64-alpha0", _with(_ordinary(2, F64, 3.0), 0.0)),
    Case("float32-alpha1.7", _with(_ordinary(3, F32, 3.0), 1.7)),
]


@graded("elu", points=2, category="values", public=True)
@cases(*ORDINARY)
def test_elu_values(student, ref, x):
    """matches F.elu with the default alpha=1"""
    matches_torch(student.elu, ref.elu, x)


@graded("elu", points=2, category="options")
@cases(*ALPHAS)
def test_elu_alpha(student, ref, x, alpha):
    """other alphas (0 too): x if x > 0 else alpha * (exp(x) - 1)"""
    matches_torch(student.elu, ref.elu, x, alpha)


@graded("elu", points=1, category="stability")
@cases(*HUGE)
def test_elu_extremes(student, ref, x):
    """huge |x|: elu(1000) = 1000 and elu(-1000) = -alpha, never NaN"""
    matches_torch(student.elu, ref.elu, x)


@graded("elu", points=1, category="contract")
@cases(*SCALAR_AND_3D)
def test_elu_contract(student, ref, x):
    """keeps the input's shape (0-d and 3-D too) and leaves the input unchanged"""
    matches_torch(student.elu, ref.elu, x)


# --- softplus --------------------------------------------------------------------------

def _around(threshold, beta, dtype=np.float64):
    """Values on both sides of x = threshold / beta (the switch to the linear branch), that
    point exactly too, ordinary ones, a few above the threshold itself and one huge one (so a
    threshold tested on x, or a log(1 + exp) that overflows, shows too)."""
    def draw(rng):
        edge = threshold / beta
        near = edge + uniform(rng, -0.5, 0.5, 6) / beta
        above = threshold + uniform(rng, 0.05, 0.5, 2)
        huge = uniform(rng, 800.0, 1000.0, 1) / beta
        x = np.concatenate([[edge, edge + 1 / 1024], near, normal(rng, (4,), 2.0), above, huge])
        return rng.permutation(x).astype(dtype), beta, threshold
    return draw


BETAS = [
    Case("float64-beta2", _with(_ordinary(2, F64, 3.0), 2.0)),
    Case("float64-beta0.5", _with(_ordinary(1, F64, 3.0), 0.5)),
    Case("float32-beta3", _with(_ordinary(3, F32, 2.0), 3.0)),
]
THRESHOLDS = [
    Case("float64-beta1-threshold1", _around(1.0, 1.0)),
    Case("float64-beta2-threshold1", _around(1.0, 2.0)),
    Case("float64-beta0.5-threshold3", _around(3.0, 0.5)),
    Case("float32-beta2-threshold2", _around(2.0, 2.0, np.float32)),
]


@graded("softplus", points=2, category="values", public=True)
@cases(*ORDINARY)
def test_softplus_values(student, ref, x):
    """matches F.softplus with the defaults beta=1, threshold=20"""
    matches_torch(student.softplus, ref.softplus, x)


@graded("softplus", points=1, category="options")
@cases(*BETAS)
def test_softplus_beta(student, ref, x, beta):
    """other betas: log(1 + exp(beta * x)) / beta"""
    matches_torch(student.softplus, ref.softplus, x, beta)


@graded("softplus", points=1, category="options")
@cases(*THRESHOLDS)
def test_softplus_threshold(student, ref, x, beta, threshold):
    """linear (x itself) where beta * x > threshold, strictly: small thresholds, and x exactly at the switch"""
    matches_torch(student.softplus, ref.softplus, x, beta, threshold)


@graded("softplus", points=1, category="stability")
@cases(*HUGE)
def test_softplus_extremes(student, ref, x):
    """huge |x|: softplus(1000) = 1000 and softplus(-1000) = 0, never inf"""
    matches_torch(student.softplus, ref.softplus, x)


@graded("softplus", points=1, category="contract")
@cases(*SCALAR_AND_3D)
def test_softplus_contract(student, ref, x):
    """keeps the input's shape (0-d and 3-D too) and leaves the input unchanged"""
    matches_torch(student.softplus, ref.softplus, x)


# --- gelu ------------------------------------------------------------------------------

def _moderate(dtype):
    """2 to 6 values of size 0.5 to 3, either sign: there gelu's tanh form is at least 2.5e-6 from
    its erf form. (Near 0 and past |x| = 5 the two agree to 1e-7: a normal draw of 2 such values
    let the tanh form pass for approximate='none', about one student in 200.)"""
    def draw(rng):
        size = shape(rng, 1, 2, 6)
        return (signs(rng, size) * uniform(rng, 0.5, 3.0, size)).astype(dtype)
    return draw


APPROXIMATIONS = [
    Case("float64-tanh", _with(_ordinary(2, F64, 2.5), "tanh")),
    Case("float32-tanh", _with(_ordinary(3, F32, 2.5), "tanh")),
    Case("float64-none", _with(_moderate(F64), "none")),
]
GELU_HUGE = [
    Case("float64-none", _with(_spread([-1000.0, -100.0, -40.0, 0.0, 40.0, 100.0, 1000.0], np.float64), "none")),
    Case("float64-tanh", _with(_spread([-1000.0, -100.0, -40.0, 0.0, 40.0, 100.0, 1000.0], np.float64), "tanh")),
    Case("float32-tanh", _with(_spread([-100.0, -40.0, 0.0, 40.0, 100.0], np.float32), "tanh")),
]


@graded("gelu", points=2, category="values", public=True)
@cases(*ORDINARY)
def test_gelu_values(student, ref, x):
    """matches F.gelu (the exact erf form, approximate='none') on ordinary inputs"""
    matches_torch(student.gelu, ref.gelu, x)


@graded("gelu", points=2, category="options")
@cases(*APPROXIMATIONS)
def test_gelu_approximate(student, ref, x, approximate):
    """approximate='tanh' is the tanh formula (up to 5e-4 from the erf form); 'none' is the erf form"""
    matches_torch(student.gelu, ref.gelu, x, approximate)


@graded("gelu", points=1, category="stability")
@cases(*GELU_HUGE)
def test_gelu_extremes(student, ref, x, approximate):
    """huge |x| in both forms: gelu(1000) = 1000 and gelu(-1000) = 0, never NaN"""
    matches_torch(student.gelu, ref.gelu, x, approximate)


@graded("gelu", points=1, category="contract")
@cases(*SCALAR_AND_3D)
def test_gelu_contract(student, ref, x):
    """keeps the input's shape (0-d and 3-D too) and leaves the input unchanged"""
    matches_torch(student.gelu, ref.gelu, x)


# --- wave 2: known mistakes ------------------------------------------------------------
# The policy: a warning costs nothing, so a formula whose unused np.where branch overflows
# (np.where(x > 0, x, alpha * (np.exp(x) - 1)) at x = 1000) but whose values are right is
# not a mistake; an answer that is NaN or inf where torch's is finite is one.

def _checks(api):
    """Every check of `api` in this module, in order (a mistake that is wrong everywhere)."""
    return [n for n, f in globals().items() if n.startswith(f"test_{api}_")
            and any(m.kwargs["api"] == api for m in getattr(f, "pytestmark", []) if m.name == "graded")]


ALL_TANH, ALL_RELU, ALL_LEAKY, ALL_ELU, ALL_SOFTPLUS, ALL_GELU = (_checks(api) for api in (
    "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu"))
_SQRT_2_OVER_PI = np.sqrt(2 / np.pi)


def _erf(x):
    """erf element-wise, as the notebook teaches (numpy has none): math.erf on each value."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _gelu_tanh(x, tanh=np.tanh):
    return 0.5 * x * (1 + tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))


def _exp_tanh(u):
    return (np.exp(u) - np.exp(-u)) / (np.exp(u) + np.exp(-u))


# tanh

@mistake("tanh", "(exp(x) - exp(-x)) / (exp(x) + exp(-x)) overflows to inf/inf = NaN for |x| > 710",
         fix="use np.tanh, or 1 - 2 / (exp(2x) + 1), which cannot overflow to NaN",
         fails=["test_tanh_extremes"])
def tanh_from_exps(x):
    return _exp_tanh(x)


@mistake("tanh", "(1 - exp(-2x)) / (1 + exp(-2x)) overflows to -inf/inf = NaN for large negative x",
         fix="use np.tanh, or pick the form whose exp cannot overflow: sign(x) * (1 - e) / (1 + e) with e = exp(-2|x|)",
         fails=["test_tanh_extremes"])
def tanh_one_sided(x):
    e = np.exp(-2 * x)
    return (1 - e) / (1 + e)


@mistake("tanh", "the logistic sigmoid 1/(1+exp(-x)) is not tanh", fix="tanh(x) = 2 * sigmoid(2x) - 1, or np.tanh",
         fails=ALL_TANH)
def tanh_is_sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))


@mistake("tanh", "returned the derivative 1 - tanh(x)**2, not tanh(x)", fix="return np.tanh(x)", fails=ALL_TANH)
def tanh_derivative(x):
    return 1 - np.tanh(x) ** 2


@mistake("tanh", *IN_PLACE, fails=ALL_TANH)
def tanh_in_place(x):
    return np.tanh(x, out=x)


# relu

@mistake("relu", "x * (x > 0) is NaN at x = -inf (-inf * 0)",
         fix="np.maximum(x, 0) (or np.where(x > 0, x, 0)): no product with the mask", fails=["test_relu_edges"])
def relu_mask_product(x):
    return x * (x > 0)


@mistake("relu", "(x + |x|) / 2 overflows to inf for x above half the float maximum, and is NaN at -inf",
         fix="np.maximum(x, 0)", fails=["test_relu_edges"])
def relu_half_sum(x):
    return (x + np.abs(x)) / 2


@mistake("relu", "np.max(x, 0) is the maximum over axis 0 (a reduction), not element-wise",
         fix="np.maximum(x, 0): element-wise maximum with 0", fails=ALL_RELU)
def relu_reduced(x):
    return np.max(x, 0)


@mistake("relu", "returned the mask x > 0 (relu's derivative), not relu(x)",
         fix="return np.maximum(x, 0); the mask is the gradient", fails=ALL_RELU)
def relu_mask(x):
    return (x > 0).astype(np.asarray(x).dtype)


@mistake("relu", "a 0-d input came back 1-D (np.array(x, ndmin=1) or np.atleast_1d)",
         fix="keep the input's shape: np.maximum(x, 0) works for 0-d arrays too", fails=["test_relu_contract"])
def relu_at_least_1d(x):
    y = np.array(x, ndmin=1)
    y[y < 0] = 0
    return y


@mistake("relu", *IN_PLACE, fails=ALL_RELU)
def relu_in_place(x):
    x[x < 0] = 0
    return x


# leaky_relu

@mistake("leaky_relu", "np.maximum(slope * x, x) is leaky_relu only for slopes up to 1",
         fix="np.where(x > 0, x, negative_slope * x): torch accepts any slope (leaky_relu(-2, 1.5) = -3)",
         fails=["test_leaky_relu_slopes"])
def leaky_relu_maximum(x, negative_slope=0.01):
    return np.maximum(negative_slope * x, x)


@mistake("leaky_relu", "ignored negative_slope (always 0.01)",
         fix="use the argument: np.where(x > 0, x, negative_slope * x)", fails=["test_leaky_relu_slopes"])
def leaky_relu_fixed_slope(x, negative_slope=0.01):
    return np.where(x > 0, x, 0.01 * x)


@mistake("leaky_relu", "the slope applied to the positive side (the condition is flipped)",
         fix="x where x > 0, negative_slope * x elsewhere", fails=ALL_LEAKY)
def leaky_relu_flipped(x, negative_slope=0.01):
    return np.where(x > 0, negative_slope * x, x)


@mistake("leaky_relu", "no leak: plain relu (0 for negative x)", fix="negative x give negative_slope * x, not 0",
         fails=ALL_LEAKY)
def leaky_relu_no_leak(x, negative_slope=0.01):
    return np.maximum(x, 0)


@mistake("leaky_relu", "mask products x * (x > 0) + slope * x * (x <= 0) are NaN at infinities (inf * 0)",
         fix="np.where(x > 0, x, negative_slope * x): choose, do not multiply by a mask",
         fails=["test_leaky_relu_edges"])
def leaky_relu_mask_products(x, negative_slope=0.01):
    return x * (x > 0) + negative_slope * x * (x <= 0)


# elu

@mistake("elu", "mask products x * (x > 0) + alpha * (exp(x) - 1) * (x <= 0): exp(1000) = inf and inf * 0 = NaN",
         fix="np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))): choose a branch, and take exp only of x <= 0",
         fails=["test_elu_extremes"])
def elu_mask_products(x, alpha=1.0):
    return x * (x > 0) + alpha * (np.exp(x) - 1) * (x <= 0)


@mistake("elu", "alpha * exp(x) - 1: the parentheses are misplaced (right only for alpha = 1)",
         fix="alpha * (exp(x) - 1)", fails=["test_elu_alpha"])
def elu_parentheses(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)) - 1)


@mistake("elu", "ignored alpha (always 1)", fix="x if x > 0 else alpha * (exp(x) - 1)", fails=["test_elu_alpha"])
def elu_fixed_alpha(x, alpha=1.0):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


@mistake("elu", "alpha also scales the positive side (that is SELU's habit, not ELU's)",
         fix="x itself where x > 0; alpha only multiplies exp(x) - 1", fails=["test_elu_alpha"])
def elu_scales_positives(x, alpha=1.0):
    return alpha * np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


@mistake("elu", "alpha * (exp(x) - 1) everywhere: the positive branch is x itself",
         fix="np.where(x > 0, x, alpha * (exp(x) - 1))", fails=ALL_ELU)
def elu_one_branch(x, alpha=1.0):
    return alpha * np.expm1(x)


# softplus

@mistake("softplus", "no threshold: log(1 + exp(beta x)) / beta everywhere (torch returns x itself where "
         "beta * x > threshold; the difference shows with small thresholds)",
         fix="np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)",
         fails=["test_softplus_threshold"])
def softplus_no_threshold(x, beta=1.0, threshold=20.0):
    return np.logaddexp(0, beta * x) / beta


@mistake("softplus", "no threshold, and log(1 + exp(beta x)) overflows to inf for large x",
         fix="np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta): the linear branch is torch's, "
             "and it keeps huge x finite",
         fails=["test_softplus_threshold", "test_softplus_extremes"])
def softplus_naive(x, beta=1.0, threshold=20.0):
    return np.log1p(np.exp(beta * x)) / beta


@mistake("softplus", "beta * x >= threshold: torch's test is strict (beta * x > threshold)",
         fix="use >: at beta * x == threshold torch still takes log(1 + exp(beta x)) / beta",
         fails=["test_softplus_threshold"])
def softplus_at_threshold(x, beta=1.0, threshold=20.0):
    return np.where(beta * x >= threshold, x, np.logaddexp(0, beta * x) / beta)


@mistake("softplus", "compared x, not beta * x, with the threshold",
         fix="the linear branch starts where beta * x > threshold", fails=["test_softplus_threshold"])
def softplus_threshold_on_x(x, beta=1.0, threshold=20.0):
    return np.where(x > threshold, x, np.logaddexp(0, beta * x) / beta)


@mistake("softplus", "forgot to divide by beta: log(1 + exp(beta x)) / beta",
         fix="divide the log branch by beta", fails=["test_softplus_beta", "test_softplus_threshold"])
def softplus_not_divided(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.logaddexp(0, beta * x))


@mistake("softplus", "ignored beta (always 1)", fix="log(1 + exp(beta * x)) / beta",
         fails=["test_softplus_beta", "test_softplus_threshold"])
def softplus_fixed_beta(x, beta=1.0, threshold=20.0):
    return np.where(x > threshold, x, np.logaddexp(0, x))


@mistake("softplus", "returned sigmoid(beta x), softplus's derivative, not softplus",
         fix="softplus(x) = log(1 + exp(beta x)) / beta; its derivative is sigmoid(beta x)", fails=ALL_SOFTPLUS)
def softplus_derivative(x, beta=1.0, threshold=20.0):
    return 0.5 * (1 + np.tanh(beta * x / 2))


# gelu

@mistake("gelu", "the tanh approximation for approximate='none' (torch's default is the exact erf form)",
         fix="'none': 0.5 * x * (1 + erf(x / sqrt(2))); the tanh formula only for approximate='tanh'",
         fails=["test_gelu_values", "test_gelu_approximate", "test_gelu_contract"])
def gelu_always_tanh(x, approximate="none"):
    return _gelu_tanh(x)


@mistake("gelu", "ignored approximate='tanh' (always the erf form)",
         fix="approximate='tanh': 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))",
         fails=["test_gelu_approximate"])
def gelu_always_erf(x, approximate="none"):
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))


@mistake("gelu", "erf(x) instead of erf(x / sqrt(2)): Phi(x) = (1 + erf(x / sqrt(2))) / 2",
         fix="0.5 * x * (1 + erf(x / np.sqrt(2)))",
         fails=["test_gelu_values", "test_gelu_approximate", "test_gelu_contract"])
def gelu_erf_unscaled(x, approximate="none"):
    return _gelu_tanh(x) if approximate == "tanh" else 0.5 * x * (1 + _erf(x))


@mistake("gelu", "x * sigmoid(1.702 x) is a third approximation; torch has only erf and tanh",
         fix="'none': 0.5 * x * (1 + erf(x / sqrt(2))); 'tanh': 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))",
         fails=["test_gelu_values", "test_gelu_approximate", "test_gelu_contract"])
def gelu_sigmoid(x, approximate="none"):
    return x / (1 + np.exp(-1.702 * x))


@mistake("gelu", "the tanh approximation without its cubic term 0.044715 x^3",
         fix="tanh(sqrt(2/pi) * (x + 0.044715 * x**3))", fails=["test_gelu_approximate"])
def gelu_no_cubic(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * x))
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))


@mistake("gelu", "tanh written with exps, (e^u - e^-u) / (e^u + e^-u): inf/inf = NaN for large |x|",
         fix="use np.tanh", fails=["test_gelu_extremes"])
def gelu_exp_tanh(x, approximate="none"):
    if approximate == "tanh":
        return _gelu_tanh(x, tanh=_exp_tanh)
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))
