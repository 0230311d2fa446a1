"""Checks for the activations assignment: sigmoid, sigmoid_grad, softmax, log_softmax.

Inputs are drawn to expose known mistakes: 0-d and 3-D arrays, axis != -1, float32 values
whose exp overflows (exp(89) > float32 max), rows of values near +-1000 (exp overflows or
underflows) and rows whose entries lie 800 to 1200 apart (log(softmax) is -inf there).
Ordinary-value checks draw moderate inputs (|x| < 11) on which a numerically naive but
otherwise right formula is exact, so naivety costs only the stability points. Every size that
an axis mistake must show on is at least 2.
"""
import numpy as np

from grader.engine.mistakes import IN_PLACE, mistake
from grader.suites import Case, cases, graded, matches_torch, normal, shape, signs, uniform

F64, F32 = np.float64, np.float32


def _ordinary(ndim, dtype):
    return lambda rng: normal(rng, shape(rng, ndim, 2, 6), 3.0, dtype)


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
