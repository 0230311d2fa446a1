"""Checks for the losses assignment: nll_loss, cross_entropy, cross_entropy_grad,
binary_cross_entropy, binary_cross_entropy_with_logits, kl_div.

Inputs are chosen to expose the semantics that catch students: class weights (torch's
weighted mean divides by the sum of the picked weights, not by N), every reduction, logits
like [[1000, 0]] that need the log-sum-exp, probabilities exactly 0 or 1 (torch clamps the
log at -100), logits of size ~1e3 where BCE-with-logits differs from BCE(sigmoid(z)), target
probabilities that are exactly 0 (they contribute 0 to the KL divergence), and 3-D inputs
where kl_div's 'batchmean' (sum / size of axis 0) differs from 'mean' (sum / numel).

Points are split by property. Ordinary-value checks use moderate inputs and the default
reduction. The stability checks ask cross_entropy for single rows (where every reduction
gives the same answer) and the element-wise losses for reduction='none' (so the report
shows which element is wrong, and an unstable but otherwise right loss loses only the
stability points); a wrong reduction loses the option points.
"""
import numpy as np

from grader.engine.mistakes import IN_PLACE, mistake
from grader.suites import (Case, cases, exact_distribution, exact_log, graded, matches_torch, normal, shape,
                           signs, uniform)

REDUCTIONS = ("mean", "sum", "none")
F64, F32 = np.float64, np.float32
_DTYPES = (F64, F32)


def _name(dtype):
    return np.dtype(dtype).name


def _log_softmax(z):
    """Row-wise log-softmax in numpy (the mistakes use it)."""
    z = z - np.max(z, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


# Batch sizes and class counts by case size: a batch of one, a small and a larger batch. Every
# batch of the option checks has N >= 2 (so that 'sum' differs from 'mean' and a squeezed
# 'none' keeps its shape) and C >= 2.
_SIZES = {"single": ((1, 1), (2, 4)), "small": ((3, 6), (3, 6)), "large": ((10, 20), (6, 12))}


def _size(rng, size):
    (n_low, n_high), (c_low, c_high) = _SIZES[size]
    return int(rng.integers(n_low, n_high + 1)), int(rng.integers(c_low, c_high + 1))


def _targets(rng, n, c):
    return rng.integers(0, c, n).astype(np.int64)


def _weights(rng, c, dtype):
    """Unequal class weights from 0.2 to 3, so that dividing by N instead of by the picked
    weights shows."""
    return uniform(rng, 0.2, 3.0, c, dtype)


def _log_probs(rng, n, c, dtype):
    """Log-probabilities over the classes: the exact log of a random distribution."""
    return exact_log(exact_distribution(rng, (n, c))).astype(dtype)


def _classification(size, dtype, log_probs=False, weight=False, reduction=None):
    """A draw of (logits or log-probabilities, int64 targets[, class weights][, reduction])."""
    def draw(rng):
        n, c = _size(rng, size)
        x = _log_probs(rng, n, c, dtype) if log_probs else normal(rng, (n, c), 3.0, dtype)
        args = [x, _targets(rng, n, c)]
        if weight:
            args.append(_weights(rng, c, dtype))
        if reduction:
            args.append(reduction)
        return tuple(args)
    return draw


def _ordinary(log_probs=False):
    return [Case(f"{_name(d)}-{size}", _classification(size, d, log_probs))
            for size in ("single", "small", "large") for d in _DTYPES]


def _reductions(log_probs=False, weight=False):
    return [Case(f"{_name(d)}-{r}", _classification("large", d, log_probs, weight, r))
            for d in _DTYPES for r in REDUCTIONS]


def _contract(log_probs=False, reductions=True):
    """A batch of one (the 'none' answer has shape (1,), the others are 0-d), and a float32
    batch of a few: the result's shape for every reduction."""
    settings = [("float64-batch-of-one", "single", F64), ("float32-batch", "small", F32)]
    if not reductions:
        return [Case(i, _classification(size, d, log_probs)) for i, size, d in settings]
    return [Case(f"{i}-{r}", _classification(size, d, log_probs, reduction=r))
            for i, size, d in settings for r in REDUCTIONS]


CE_ORDINARY, NLL_ORDINARY = _ordinary(), _ordinary(log_probs=True)
CE_REDUCTIONS, NLL_REDUCTIONS = _reductions(), _reductions(log_probs=True)
CE_WEIGHTS, NLL_WEIGHTS = _reductions(weight=True), _reductions(log_probs=True, weight=True)
CE_CONTRACT, NLL_CONTRACT = _contract(), _contract(log_probs=True)
GRAD_CONTRACT = _contract(reductions=False)


def _one_row(make):
    """A single row of logits made by `make(rng, c)` -> (row, target), as a batch of one."""
    def draw(rng):
        row, target = make(rng, int(rng.integers(2, 6)))
        return row[None, :], np.array([target], dtype=np.int64)
    return draw


def _gap(rng, c):
    """The target 800 to 1200 below the largest logit: its softmax underflows to 0, and
    log(softmax) is -inf (an unshifted log-sum-exp is exact here)."""
    row = normal(rng, (c,)) - uniform(rng, 800.0, 1200.0, c)
    top, target = rng.permutation(c)[:2]
    row[top] = normal(rng, ())
    return row, target


def _offset(sign):
    """Every logit within +-3.5 of an offset of 800 to 1200 (of `sign`): an unshifted
    log-sum-exp overflows (or its log is of 0); log(softmax) is exact here."""
    def make(rng, c):
        return sign * uniform(rng, 800.0, 1200.0) + normal(rng, (c,)), rng.integers(0, c)
    return make


def _far_target(rng, c):
    """One logit 800 to 1200 above the others (near 0), the target one of those: both a
    log(softmax) and an unshifted log-sum-exp fail."""
    row = normal(rng, (c,))
    top, target = rng.permutation(c)[:2]
    row[top] = uniform(rng, 800.0, 1200.0)
    return row, target


def _float32_spread(rng, c):
    """float32 logits near +100, 0 and -100 (at random places), the target the lowest: exp
    overflows float32, and the target's softmax underflows it."""
    c = max(c, 3)
    row = normal(rng, (c,))
    top, low = rng.permutation(c)[:2]
    row[top] += uniform(rng, 90.0, 110.0)
    row[low] -= uniform(rng, 90.0, 110.0)
    return row.astype(F32), low


HUGE_LOGITS = [Case("float64-gap", _one_row(_gap)), Case("float64-near-1000", _one_row(_offset(1.0))),
               Case("float64-1000-vs-0", _one_row(_far_target)),
               Case("float64-near-minus-1000", _one_row(_offset(-1.0))),
               Case("float32-100", _one_row(_float32_spread))]


def _binary(dtype, soft=False, ndim=1, reduction=None, logits=False):
    """(probabilities from 0.02 to 0.98, or moderate logits, |z| < 4.4, on which even float32
    sigmoid-then-log is accurate enough (at |z| = 7 its 1 - p loses enough bits to exceed
    float32's tolerance: that is for the stability check); targets 0/1, or in [0, 1] when
    soft[, reduction])."""
    def draw(rng):
        size = shape(rng, ndim, 2, 5)
        x = normal(rng, size, 1.25, dtype) if logits else uniform(rng, 0.02, 0.98, size, dtype)
        targets = uniform(rng, 0.0, 1.0, size) if soft else rng.integers(0, 2, size)
        return (x, targets.astype(dtype)) + ((reduction,) if reduction else ())
    return draw


def _binary_cases(logits=False, soft=False):
    return [Case(f"{_name(d)}-{n}d{'-soft' if soft else ''}", _binary(d, soft, n, logits=logits))
            for n in (1, 2) for d in _DTYPES]


def _binary_reductions(logits=False):
    return [Case(f"{_name(d)}-{r}", _binary(d, ndim=2, reduction=r, logits=logits))
            for d in _DTYPES for r in REDUCTIONS]


def _binary_contract(logits=False):
    """0-d inputs ('mean' and 'none') and 3-D ones; targets 0/1."""
    def scalar(dtype, reduction):
        def draw(rng):
            x = signs(rng) * uniform(rng, 0.2, 3.0) if logits else uniform(rng, 0.05, 0.95)
            return np.array(x, dtype), np.array(rng.integers(0, 2), dtype), reduction
        return draw
    return [Case("float64-scalar-mean", scalar(F64, "mean")), Case("float32-scalar-none", scalar(F32, "none")),
            Case("float64-3d-none", _binary(F64, ndim=3, reduction="none", logits=logits)),
            Case("float32-3d-mean", _binary(F32, ndim=3, reduction="mean", logits=logits))]


BCE_HARD, BCE_SOFT = _binary_cases(), _binary_cases(soft=True)
BCE_REDUCTIONS, BCE_CONTRACT = _binary_reductions(), _binary_contract()


def _tiny(rng, n):
    """n probabilities 10**-k, 40 <= k <= 300 (from their decimal text: the same bits on every
    CPU): a log that needs no clamp, and a loss of k log 10 (not 100) for target 1."""
    return np.array([float(f"1e-{k}") for k in rng.integers(40, 301, n)])


def _zero_one(kind):
    """p exactly 0 or 1 (sure and right, sure and wrong, or at random) or tiny, targets 0/1."""
    def draw(rng):
        n = int(rng.integers(2, 6))
        y = rng.integers(0, 2, n).astype(F64)
        if kind == "right":
            return y.copy(), y
        if kind == "wrong":
            return 1 - y, y
        if kind == "tiny":
            return _tiny(rng, n), np.ones(n)
        if kind == "mixed":   # sure at random, one tiny with target 1
            p, i = rng.integers(0, 2, n).astype(F64), rng.integers(0, n)
            p[i], y[i] = _tiny(rng, 1)[0], 1.0
            return p, y
        p, y = rng.integers(0, 2, (2, n)).astype(F64), rng.integers(0, 2, (2, n)).astype(F64)
        p[rng.integers(0, 2), rng.integers(0, n)] = uniform(rng, 0.1, 0.9)
        return p.astype(F32), y.astype(F32)
    return draw


BCE_ZERO_ONE = [Case("float64-right-and-sure", _zero_one("right")),
                Case("float64-wrong-and-sure", _zero_one("wrong")), Case("float64-tiny", _zero_one("tiny")),
                Case("float64-mixed", _zero_one("mixed")), Case("float32-2d", _zero_one("float32-2d"))]
BCEL_ORDINARY = [Case(f"{_name(d)}-{n}d{'-soft' if soft else ''}", _binary(d, soft, n, logits=True))
                 for n in (1, 2) for soft in (False, True) for d in _DTYPES]
BCEL_REDUCTIONS, BCEL_CONTRACT = _binary_reductions(logits=True), _binary_contract(logits=True)


def _huge_logits(dtype, low, high, soft=False, ndim=1):
    """Logits with |z| from `low` to `high`, of both signs, in random places; hard targets
    against the logit's sign for one of them at least, with it for another (or soft targets)."""
    def draw(rng):
        size = shape(rng, ndim, 2, 4)
        count = int(np.prod(size))
        z = np.concatenate([[1.0, -1.0], signs(rng, count - 2)]) * uniform(rng, low, high, count)
        agree = np.concatenate([[True, False, False, True][:min(count, 4)], rng.integers(0, 2, max(count - 4, 0)) == 1])
        y = uniform(rng, 0.0, 1.0, count) if soft else np.where(agree, z > 0, z < 0).astype(F64)
        order = rng.permutation(count)
        return z[order].reshape(size).astype(dtype), y[order].reshape(size).astype(dtype)
    return draw


BCEL_HUGE = [Case("float32-12", _huge_logits(F32, 10.0, 16.0)), Case("float64-40", _huge_logits(F64, 35.0, 45.0)),
             Case("float64-1000", _huge_logits(F64, 750.0, 1250.0)),
             Case("float64-2d-soft", _huge_logits(F64, 750.0, 1250.0, soft=True, ndim=2)),
             Case("float32-100", _huge_logits(F32, 89.0, 110.0))]


def _distributions(dtype, ndim=2, reduction=None, size=None):
    """(log q, p[, reduction]): two distributions over the last axis."""
    def draw(rng):
        dims = size(rng) if size else shape(rng, ndim, 2, 6)
        log_q = exact_log(exact_distribution(rng, dims))
        return (log_q.astype(dtype), exact_distribution(rng, dims).astype(dtype)) + ((reduction,) if reduction else ())
    return draw


KL_ORDINARY = [Case(f"{_name(d)}-{label}", _distributions(d, size=size)) for label, size in (
    ("single", lambda rng: (1, int(rng.integers(2, 6)))), ("small", lambda rng: shape(rng, 2, 2, 6)),
    ("large", lambda rng: (int(rng.integers(6, 12)), int(rng.integers(6, 12))))) for d in _DTYPES]
KL_REDUCTIONS = [Case(f"{_name(d)}-{n}d-{r}", _distributions(d, n, r))
                 for n, d in ((2, F64), (3, F32)) for r in ("batchmean", "mean", "sum", "none")]


def _with_zeros(kind, dtype=F64):
    """Targets p with exact zeros (0 log 0 = 0): one zero among positive ones, one-hot rows,
    or one-hot rows with q tiny (exp(-800) to exp(-1200)) exactly where p is 0."""
    def draw(rng):
        n, c = shape(rng, 2, 2, 5)
        if kind == "one-zero":
            weights = rng.integers(1, 101, (n, c))
            weights[rng.integers(0, n), rng.integers(0, c)] = 0
            p = weights / weights.sum(axis=-1, keepdims=True)
        else:
            p = np.eye(c)[rng.integers(0, c, n)]
        if kind == "q-tiny":
            log_q = np.where(p == 0, -uniform(rng, 800.0, 1200.0, (n, c)), 0.0)
        else:
            log_q = exact_log(exact_distribution(rng, (n, c)))
        return log_q.astype(dtype), p.astype(dtype)
    return draw


KL_ZEROS = [Case("float64-one-zero", _with_zeros("one-zero")), Case("float64-one-hot", _with_zeros("one-hot")),
            Case("float64-q-tiny-where-p-zero", _with_zeros("q-tiny")),
            Case("float32-one-hot", _with_zeros("one-hot", F32))]
KL_CONTRACT = [Case("float64-1d-batchmean", _distributions(F64, 1, "batchmean")),
               Case("float32-3d-none", _distributions(F32, 3, "none"))]


# --- nll_loss --------------------------------------------------------------------------

@graded("nll_loss", points=2, category="values", public=True)
@cases(*NLL_ORDINARY)
def test_nll_loss_values(student, ref, log_probs, targets):
    """matches F.nll_loss (mean over the batch) on log-probabilities, float32 and float64"""
    matches_torch(student.nll_loss, ref.nll_loss, log_probs, targets)


@graded("nll_loss", points=1, category="options")
@cases(*NLL_REDUCTIONS)
def test_nll_loss_reductions(student, ref, log_probs, targets, reduction):
    """reduction='mean', 'sum' and 'none' (one loss per sample)"""
    matches_torch(student.nll_loss, ref.nll_loss, log_probs, targets, None, reduction)


@graded("nll_loss", points=2, category="options")
@cases(*NLL_WEIGHTS)
def test_nll_loss_weights(student, ref, log_probs, targets, weight, reduction):
    """class weights; the weighted 'mean' divides by the sum of the targets' weights, not by N"""
    matches_torch(student.nll_loss, ref.nll_loss, log_probs, targets, weight, reduction)


@graded("nll_loss", points=1, category="contract")
@cases(*NLL_CONTRACT)
def test_nll_loss_contract(student, ref, log_probs, targets, reduction):
    """a 0-d loss for 'mean'/'sum', shape (N,) for 'none' (N = 1 too); inputs left unchanged"""
    matches_torch(student.nll_loss, ref.nll_loss, log_probs, targets, None, reduction)


# --- cross_entropy ---------------------------------------------------------------------

@graded("cross_entropy", points=2, category="values", public=True)
@cases(*CE_ORDINARY)
def test_cross_entropy_values(student, ref, logits, targets):
    """matches F.cross_entropy (mean over the batch) on ordinary logits, float32 and float64"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets)


@graded("cross_entropy", points=1, category="options")
@cases(*CE_REDUCTIONS)
def test_cross_entropy_reductions(student, ref, logits, targets, reduction):
    """reduction='mean', 'sum' and 'none' (one loss per sample)"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets, None, reduction)


@graded("cross_entropy", points=2, category="options")
@cases(*CE_WEIGHTS)
def test_cross_entropy_weights(student, ref, logits, targets, weight, reduction):
    """class weights; the weighted 'mean' divides by the sum of the targets' weights, not by N"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets, weight, reduction)


@graded("cross_entropy", points=2, category="stability")
@cases(*HUGE_LOGITS)
def test_cross_entropy_stability(student, ref, logits, targets):
    """finite for huge logits (log-sum-exp): [[1000, 0]] with target 1 gives 1000"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets)


@graded("cross_entropy", points=1, category="contract")
@cases(*CE_CONTRACT)
def test_cross_entropy_contract(student, ref, logits, targets, reduction):
    """a 0-d loss for 'mean'/'sum', shape (N,) for 'none' (N = 1 too); inputs left unchanged"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets, None, reduction)


# --- cross_entropy_grad ----------------------------------------------------------------

@graded("cross_entropy_grad", points=3, category="gradient", public=True)
@cases(*CE_ORDINARY)
def test_cross_entropy_grad_values(student, ref, logits, targets):
    """matches torch.autograd's gradient of the mean cross-entropy: (softmax - onehot) / N"""
    matches_torch(student.cross_entropy_grad, ref.cross_entropy_grad, logits, targets)


@graded("cross_entropy_grad", points=1, category="stability")
@cases(*HUGE_LOGITS)
def test_cross_entropy_grad_stability(student, ref, logits, targets):
    """finite for huge logits: the gradient at [[1000, 0]] with target 1 is [[1, -1]]"""
    matches_torch(student.cross_entropy_grad, ref.cross_entropy_grad, logits, targets)


@graded("cross_entropy_grad", points=1, category="contract")
@cases(*GRAD_CONTRACT)
def test_cross_entropy_grad_contract(student, ref, logits, targets):
    """the logits' shape (N, C), N = 1 too; inputs left unchanged"""
    matches_torch(student.cross_entropy_grad, ref.cross_entropy_grad, logits, targets)


# --- binary_cross_entropy --------------------------------------------------------------

@graded("binary_cross_entropy", points=2, category="values", public=True)
@cases(*BCE_HARD)
def test_binary_cross_entropy_values(student, ref, probs, targets):
    """matches F.binary_cross_entropy (mean) for probabilities in (0, 1) and 0/1 targets"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets)


@graded("binary_cross_entropy", points=1, category="values")
@cases(*BCE_SOFT)
def test_binary_cross_entropy_soft_targets(student, ref, probs, targets):
    """soft targets in (0, 1): both terms y·log p and (1-y)·log(1-p) count"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets)


@graded("binary_cross_entropy", points=1, category="options")
@cases(*BCE_REDUCTIONS)
def test_binary_cross_entropy_reductions(student, ref, probs, targets, reduction):
    """reduction='mean' (over every element), 'sum' and 'none'"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets, reduction)


@graded("binary_cross_entropy", points=2, category="stability")
@cases(*BCE_ZERO_ONE)
def test_binary_cross_entropy_zero_one(student, ref, probs, targets):
    """p exactly 0 or 1: each log is clamped at -100, so a sure wrong answer costs 100, a sure right one 0"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets, "none")


@graded("binary_cross_entropy", points=1, category="contract")
@cases(*BCE_CONTRACT)
def test_binary_cross_entropy_contract(student, ref, probs, targets, reduction):
    """any input shape (0-d and 3-D too): 'none' keeps it, 'mean' is 0-d; inputs left unchanged"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets, reduction)


# --- binary_cross_entropy_with_logits --------------------------------------------------

@graded("binary_cross_entropy_with_logits", points=2, category="values", public=True)
@cases(*BCEL_ORDINARY)
def test_binary_cross_entropy_with_logits_values(student, ref, logits, targets):
    """matches F.binary_cross_entropy_with_logits (mean) for moderate logits, 0/1 and soft targets"""
    matches_torch(student.binary_cross_entropy_with_logits, ref.binary_cross_entropy_with_logits,
                  logits, targets)


@graded("binary_cross_entropy_with_logits", points=1, category="options")
@cases(*BCEL_REDUCTIONS)
def test_binary_cross_entropy_with_logits_reductions(student, ref, logits, targets, reduction):
    """reduction='mean' (over every element), 'sum' and 'none'"""
    matches_torch(student.binary_cross_entropy_with_logits, ref.binary_cross_entropy_with_logits,
                  logits, targets, reduction)


@graded("binary_cross_entropy_with_logits", points=2, category="stability")
@cases(*BCEL_HUGE)
def test_binary_cross_entropy_with_logits_stability(student, ref, logits, targets):
    """exact for huge |logits|: z = 1000 with target 0 costs 1000, not BCE(sigmoid(z)) = 100"""
    matches_torch(student.binary_cross_entropy_with_logits, ref.binary_cross_entropy_with_logits,
                  logits, targets, "none")


@graded("binary_cross_entropy_with_logits", points=1, category="contract")
@cases(*BCEL_CONTRACT)
def test_binary_cross_entropy_with_logits_contract(student, ref, logits, targets, reduction):
    """any input shape (0-d and 3-D too): 'none' keeps it, 'mean' is 0-d; inputs left unchanged"""
    matches_torch(student.binary_cross_entropy_with_logits, ref.binary_cross_entropy_with_logits,
                  logits, targets, reduction)


# --- kl_div ----------------------------------------------------------------------------

@graded("kl_div", points=2, category="values", public=True)
@cases(*KL_ORDINARY)
def test_kl_div_values(student, ref, log_q, p):
    """matches F.kl_div(log_q, p, reduction='batchmean'): KL(p || q) summed, divided by the batch size"""
    matches_torch(student.kl_div, ref.kl_div, log_q, p)


@graded("kl_div", points=2, category="options")
@cases(*KL_REDUCTIONS)
def test_kl_div_reductions(student, ref, log_q, p, reduction):
    """'batchmean' = sum / size of axis 0, 'mean' = sum / number of elements, 'sum', 'none' (2-D and 3-D)"""
    matches_torch(student.kl_div, ref.kl_div, log_q, p, reduction)


@graded("kl_div", points=1, category="stability")
@cases(*KL_ZEROS)
def test_kl_div_zero_targets(student, ref, log_q, p):
    """target probabilities exactly 0 contribute 0 (0·log 0 = 0), not NaN"""
    matches_torch(student.kl_div, ref.kl_div, log_q, p, "none")


@graded("kl_div", points=1, category="contract")
@cases(*KL_CONTRACT)
def test_kl_div_contract(student, ref, log_q, p, reduction):
    """any input shape (1-D and 3-D too): 'none' keeps it, the others are 0-d; inputs left unchanged"""
    matches_torch(student.kl_div, ref.kl_div, log_q, p, reduction)


# --- known mistakes --------------------------------------------------------------------
# Each is a wrong implementation a student really writes; `fails` lists the checks it must
# fail (the kit's tests prove it, and that it is named when it does). Most are the right
# loss with one part changed, so they are built from the helpers below.

def _reduce(losses, reduction, divisor):
    """'none', 'sum', or the total divided by `divisor` (the 'mean' or 'batchmean')."""
    if reduction == "none":
        return losses
    return np.sum(losses) if reduction == "sum" else np.sum(losses) / divisor


def _nll(log_probs, targets, weight=None, reduction="mean", mean_over_n=False):
    w = np.ones(log_probs.shape[1]) if weight is None else weight
    picked = w[targets]
    losses = -picked * log_probs[np.arange(len(targets)), targets]
    return _reduce(losses, reduction, len(targets) if mean_over_n else np.sum(picked))


def _softmax(logits):
    e = np.exp(logits - np.max(logits, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _one_hot(targets, c):
    return np.eye(c)[targets]


def _bce_terms(log_p, log_not_p, targets, reduction):
    return _reduce(-(targets * log_p + (1 - targets) * log_not_p), reduction, np.size(targets))


def _clamped_logs(probs):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(probs), -100), np.maximum(np.log(1 - probs), -100)


def _kl_pointwise(log_q, p):
    return p * (np.log(np.where(p > 0, p, 1)) - log_q)


def _kl_reduce(pointwise, reduction):
    """kl_div's reductions: 'mean' divides by the number of elements, 'batchmean' by the batch."""
    return _reduce(pointwise, reduction, pointwise.size if reduction == "mean" else pointwise.shape[0])


def _kl(log_q, p, reduction="batchmean"):
    return _kl_reduce(_kl_pointwise(log_q, p), reduction)


def _all(api):
    """The names of every check of `api` in this module (a mistake that is wrong everywhere)."""
    return [n for n, f in globals().items() if n.startswith(f"test_{api}_")
            and any(m.kwargs["api"] == api for m in getattr(f, "pytestmark", []) if m.name == "graded")]


ALL_NLL, ALL_CE, ALL_GRAD, ALL_BCE, ALL_BCEL, ALL_KL = (_all(api) for api in (
    "nll_loss", "cross_entropy", "cross_entropy_grad", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div"))


def _except(checks, check):
    return [c for c in checks if c != check]


# nll_loss

@mistake("nll_loss", "reduction='mean' summed the losses instead of averaging them",
         fix="'mean' is sum(losses) / sum(w[targets]), which is sum(losses) / N without weights",
         fails=ALL_NLL)
def nll_loss_sum_for_mean(log_probs, targets, weight=None, reduction="mean"):
    return _nll(log_probs, targets, weight, "sum" if reduction == "mean" else reduction)


@mistake("nll_loss", "weighted 'mean' divided by N instead of by the sum of the targets' weights",
         fix="divide sum(w[targets] * losses) by sum(w[targets]), as torch does",
         fails=["test_nll_loss_weights"])
def nll_loss_weights_over_n(log_probs, targets, weight=None, reduction="mean"):
    return _nll(log_probs, targets, weight, reduction, mean_over_n=True)


@mistake("nll_loss", "ignored the class weights",
         fix="multiply each sample's loss by weight[target] (and divide the 'mean' by their sum)",
         fails=["test_nll_loss_weights"])
def nll_loss_ignores_weight(log_probs, targets, weight=None, reduction="mean"):
    return _nll(log_probs, targets, None, reduction)


@mistake("nll_loss", "took the log of the input, but log_probs already are log-probabilities",
         fix="the loss is -log_probs[n, target]: no np.log inside nll_loss", fails=ALL_NLL)
def nll_loss_log_of_log_probs(log_probs, targets, weight=None, reduction="mean"):
    return _nll(np.log(log_probs), targets, weight, reduction)


@mistake("nll_loss", "forgot the minus sign: the loss is -log_probs[n, target]",
         fix="losses = -w[targets] * log_probs[np.arange(N), targets]", fails=ALL_NLL)
def nll_loss_no_minus(log_probs, targets, weight=None, reduction="mean"):
    return _nll(-log_probs, targets, weight, reduction)


@mistake("nll_loss", "'mean' averaged over all N*C entries of one_hot * log_probs instead of over N",
         fix="pick one entry per row, log_probs[np.arange(N), targets], then average over N", fails=ALL_NLL)
def nll_loss_mean_over_entries(log_probs, targets, weight=None, reduction="mean"):
    if reduction == "mean":
        w = 1.0 if weight is None else weight
        return -np.mean(_one_hot(targets, log_probs.shape[1]) * w * log_probs)
    return _nll(log_probs, targets, weight, reduction)


@mistake("nll_loss", "squeezed the per-sample losses: for N = 1, reduction='none' gave a 0-d value",
         fix="index with log_probs[np.arange(N), targets] (shape (N,)); np.squeeze drops N = 1 too",
         fails=["test_nll_loss_contract"])
def nll_loss_squeezed(log_probs, targets, weight=None, reduction="mean"):
    return np.squeeze(_nll(log_probs, targets, weight, reduction))


# cross_entropy

@mistake("cross_entropy", "log(softmax(x)): the softmax underflows to 0 and its log is -inf",
         fix="log_softmax = (x - m) - log(sum(exp(x - m))) with m the row max: "
             "never take the log of a softmax",
         fails=["test_cross_entropy_stability"])
def cross_entropy_log_of_softmax(logits, targets, weight=None, reduction="mean"):
    return _nll(np.log(_softmax(logits)), targets, weight, reduction)


@mistake("cross_entropy", "log-sum-exp without the max shift: exp overflows to inf for large logits",
         fix="subtract the row max m first: log(sum(exp(x))) = m + log(sum(exp(x - m)))",
         fails=["test_cross_entropy_stability"])
def cross_entropy_unshifted(logits, targets, weight=None, reduction="mean"):
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return _nll(log_probs, targets, weight, reduction)


@mistake("cross_entropy", "reduction='mean' summed the losses instead of averaging them",
         fix="'mean' is sum(losses) / sum(w[targets]), which is sum(losses) / N without weights",
         fails=_except(ALL_CE, "test_cross_entropy_stability"))
def cross_entropy_sum_for_mean(logits, targets, weight=None, reduction="mean"):
    return _nll(_log_softmax(logits), targets, weight, "sum" if reduction == "mean" else reduction)


@mistake("cross_entropy", "weighted 'mean' divided by N instead of by the sum of the targets' weights",
         fix="divide sum(w[targets] * losses) by sum(w[targets]), as torch does",
         fails=["test_cross_entropy_weights"])
def cross_entropy_weights_over_n(logits, targets, weight=None, reduction="mean"):
    return _nll(_log_softmax(logits), targets, weight, reduction, mean_over_n=True)


@mistake("cross_entropy", "ignored the class weights",
         fix="multiply each sample's loss by weight[target] (and divide the 'mean' by their sum)",
         fails=["test_cross_entropy_weights"])
def cross_entropy_ignores_weight(logits, targets, weight=None, reduction="mean"):
    return _nll(_log_softmax(logits), targets, None, reduction)


@mistake("cross_entropy", "log base 2 (bits): torch's losses use the natural log",
         fix="use np.log, not np.log2", fails=ALL_CE)
def cross_entropy_log2(logits, targets, weight=None, reduction="mean"):
    return _nll(_log_softmax(logits) / np.log(2), targets, weight, reduction)


@mistake("cross_entropy", "softmax over the batch axis (axis 0) instead of over the classes",
         fix="normalise each row: max and sum over axis=1 (the class axis)", fails=ALL_CE)
def cross_entropy_batch_axis(logits, targets, weight=None, reduction="mean"):
    return _nll(_log_softmax(logits.T).T, targets, weight, reduction)


@mistake("cross_entropy", "squeezed the per-sample losses: for N = 1, reduction='none' gave a 0-d value",
         fix="index with log_probs[np.arange(N), targets] (shape (N,)); np.squeeze drops N = 1 too",
         fails=["test_cross_entropy_contract"])
def cross_entropy_squeezed(logits, targets, weight=None, reduction="mean"):
    return np.squeeze(_nll(_log_softmax(logits), targets, weight, reduction))


@mistake("cross_entropy", *IN_PLACE, fails=ALL_CE)
def cross_entropy_in_place(logits, targets, weight=None, reduction="mean"):
    logits -= np.max(logits, axis=1, keepdims=True)
    logits -= np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return _nll(logits, targets, weight, reduction)


# cross_entropy_grad

@mistake("cross_entropy_grad", "forgot to divide by N: the gradient of the summed, not the mean, loss",
         fix="the mean loss averages over the batch: return (softmax - one_hot) / N",
         fails=["test_cross_entropy_grad_values", "test_cross_entropy_grad_contract"])
def cross_entropy_grad_not_averaged(logits, targets):
    return _softmax(logits) - _one_hot(targets, logits.shape[1])


@mistake("cross_entropy_grad", "sign flipped: one_hot - softmax is the gradient of the negated loss",
         fix="d loss / d logits = (softmax - one_hot) / N", fails=ALL_GRAD)
def cross_entropy_grad_sign_flipped(logits, targets):
    return (_one_hot(targets, logits.shape[1]) - _softmax(logits)) / len(targets)


@mistake("cross_entropy_grad", "returned softmax / N: forgot to subtract the one-hot targets",
         fix="subtract 1 at each sample's target: (softmax - one_hot) / N", fails=ALL_GRAD)
def cross_entropy_grad_no_one_hot(logits, targets):
    return _softmax(logits) / len(targets)


@mistake("cross_entropy_grad", "softmax without the max shift: exp overflows to inf and inf/inf = NaN",
         fix="subtract the row max before np.exp; the softmax is unchanged by it",
         fails=["test_cross_entropy_grad_stability"])
def cross_entropy_grad_unshifted(logits, targets):
    e = np.exp(logits)
    return (e / np.sum(e, axis=1, keepdims=True) - _one_hot(targets, logits.shape[1])) / len(targets)


@mistake("cross_entropy_grad", *IN_PLACE, fails=ALL_GRAD)
def cross_entropy_grad_in_place(logits, targets):
    logits -= np.max(logits, axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= np.sum(logits, axis=1, keepdims=True)
    logits[np.arange(len(targets)), targets] -= 1
    return logits / len(targets)


# binary_cross_entropy

@mistake("binary_cross_entropy", "no clamp: log(0) = -inf gives an infinite loss, and 0 * log(0) = NaN",
         fix="clamp each log at -100 like torch: np.maximum(np.log(p), -100), same for log(1 - p)",
         fails=["test_binary_cross_entropy_zero_one"])
def binary_cross_entropy_no_clamp(probs, targets, reduction="mean"):
    return _bce_terms(np.log(probs), np.log(1 - probs), targets, reduction)


@mistake("binary_cross_entropy", "clipped p to [1e-7, 1 - 1e-7] instead of clamping each log at -100",
         fix="torch keeps p and clamps the logs: np.maximum(np.log(p), -100), "
             "so a sure wrong answer costs 100",
         fails=["test_binary_cross_entropy_zero_one"])
def binary_cross_entropy_clipped(probs, targets, reduction="mean"):
    p = np.clip(probs, 1e-7, 1 - 1e-7)
    return _bce_terms(np.log(p), np.log(1 - p), targets, reduction)


@mistake("binary_cross_entropy", "swapped arguments: the probabilities come first, then the targets",
         fix="binary_cross_entropy(probs, targets) as in torch "
             "(sklearn's log_loss(y_true, y_pred) is the other order)",
         fails=ALL_BCE)
def binary_cross_entropy_swapped(probs, targets, reduction="mean"):
    return _bce_terms(*_clamped_logs(targets), probs, reduction)


@mistake("binary_cross_entropy", "picked one term with np.where(y == 1, ...): wrong for soft targets",
         fix="use both terms, -(y * log p + (1 - y) * log(1 - p)), for any y in [0, 1]",
         fails=["test_binary_cross_entropy_soft_targets"])
def binary_cross_entropy_hard_targets_only(probs, targets, reduction="mean"):
    log_p, log_not_p = _clamped_logs(probs)
    return _reduce(-np.where(targets == 1, log_p, log_not_p), reduction, np.size(targets))


@mistake("binary_cross_entropy", "reduction='mean' summed the losses instead of averaging them",
         fix="'mean' divides the sum by the number of elements (np.mean)",
         fails=_except(ALL_BCE, "test_binary_cross_entropy_zero_one"))
def binary_cross_entropy_sum_for_mean(probs, targets, reduction="mean"):
    return _bce_terms(*_clamped_logs(probs), targets, "sum" if reduction == "mean" else reduction)


# binary_cross_entropy_with_logits

@mistake("binary_cross_entropy_with_logits",
         "binary_cross_entropy(sigmoid(z)): sigmoid rounds to 0 or 1 and the clamp caps the loss at 100",
         fix="work with the logits: (1 - y) * z + softplus(-z) = max(z, 0) - z * y + log1p(exp(-|z|))",
         fails=["test_binary_cross_entropy_with_logits_stability"])
def binary_cross_entropy_with_logits_via_sigmoid(logits, targets, reduction="mean"):
    return _bce_terms(*_clamped_logs(1 / (1 + np.exp(-logits))), targets, reduction)


@mistake("binary_cross_entropy_with_logits", "log(1 + exp(-z)) overflows to inf for large negative z",
         fix="stable softplus: log(1 + exp(-z)) = max(-z, 0) + log1p(exp(-|z|))",
         fails=["test_binary_cross_entropy_with_logits_stability"])
def binary_cross_entropy_with_logits_naive_softplus(logits, targets, reduction="mean"):
    return _reduce((1 - targets) * logits + np.log(1 + np.exp(-logits)), reduction, np.size(targets))


@mistake("binary_cross_entropy_with_logits", "targets flipped: (1 - y) and y swapped in the loss",
         fix="the loss is max(z, 0) - z * y + log1p(exp(-|z|)): target 1 wants a large z", fails=ALL_BCEL)
def binary_cross_entropy_with_logits_flipped(logits, targets, reduction="mean"):
    z = logits
    return _reduce(np.maximum(z, 0) - z * (1 - targets) + np.log1p(np.exp(-np.abs(z))), reduction,
                   np.size(targets))


@mistake("binary_cross_entropy_with_logits", "reduction='mean' summed the losses instead of averaging them",
         fix="'mean' divides the sum by the number of elements (np.mean)",
         fails=_except(ALL_BCEL, "test_binary_cross_entropy_with_logits_stability"))
def binary_cross_entropy_with_logits_sum_for_mean(logits, targets, reduction="mean"):
    z = logits
    return _reduce(np.maximum(z, 0) - z * targets + np.log1p(np.exp(-np.abs(z))),
                   "sum" if reduction == "mean" else reduction, np.size(targets))


# kl_div

@mistake("kl_div", "'batchmean' divided by the number of elements (that is 'mean'), not by the batch size",
         fix="'batchmean' is sum / log_q.shape[0]; only 'mean' divides by the number of elements",
         fails=["test_kl_div_values", "test_kl_div_reductions"])
def kl_div_mean_for_batchmean(log_q, p, reduction="batchmean"):
    return _kl(log_q, p, "mean" if reduction == "batchmean" else reduction)


@mistake("kl_div", "'mean' divided by the batch size (that is 'batchmean'), not by the number of elements",
         fix="'mean' is sum / number of elements (p.size); 'batchmean' is sum / p.shape[0]",
         fails=["test_kl_div_reductions"])
def kl_div_batchmean_for_mean(log_q, p, reduction="batchmean"):
    return _kl(log_q, p, "batchmean" if reduction == "mean" else reduction)


@mistake("kl_div", "'batchmean' divided by the number of distributions (all axes but the last), "
                   "not by the size of axis 0",
         fix="'batchmean' is sum / log_q.shape[0], whatever the number of axes",
         fails=["test_kl_div_reductions", "test_kl_div_contract"])
def kl_div_batchmean_over_rows(log_q, p, reduction="batchmean"):
    if reduction == "batchmean":
        return np.sum(_kl_pointwise(log_q, p)) / (np.size(p) // np.shape(p)[-1])
    return _kl(log_q, p, reduction)


@mistake("kl_div", "reversed KL: computed KL(q || p), but kl_div(log_q, p) is KL(p || q)",
         fix="sum p * (log p - log_q): weight by the target p, not by q = exp(log_q)", fails=ALL_KL)
def kl_div_reversed(log_q, p, reduction="batchmean"):
    with np.errstate(divide="ignore"):
        pointwise = np.exp(log_q) * (log_q - np.log(p))
    return _kl_reduce(pointwise, reduction)


@mistake("kl_div", "took the log of log_q, which already is a log-probability",
         fix="use log_q as it is: p * (log p - log_q)", fails=ALL_KL)
def kl_div_log_of_log_q(log_q, p, reduction="batchmean"):
    return _kl(np.log(log_q), p, reduction)


@mistake("kl_div", "p * log(p) is NaN where p = 0 (0 * -inf); those terms are 0",
         fix="p * np.log(np.where(p > 0, p, 1)) (or scipy-style xlogy): 0 * log 0 = 0",
         fails=["test_kl_div_zero_targets"])
def kl_div_nan_at_zero(log_q, p, reduction="batchmean"):
    return _kl_reduce(p * (np.log(p) - log_q), reduction)


@mistake("kl_div", "log base 2 (bits): torch's KL divergence uses the natural log",
         fix="use np.log, not np.log2: torch measures the divergence in nats", fails=ALL_KL)
def kl_div_log2(log_q, p, reduction="batchmean"):
    return _kl(log_q, p, reduction) / np.log(2)


@mistake("kl_div", "computed the cross-entropy -sum p * log_q: the KL divergence adds sum p * log p",
         fix="KL(p || q) = sum p * (log p - log_q), with 0 * log 0 = 0", fails=ALL_KL)
def kl_div_cross_entropy(log_q, p, reduction="batchmean"):
    return _kl_reduce(-p * log_q, reduction)


# =======================================================================================
# Wave 2 (issue 18): mse_loss, l1_loss, smooth_l1_loss, huber_loss (regression losses).
#
# Inputs and targets have the same shape (torch broadcasts others with a warning on stderr:
# not graded); their shapes and values are drawn per student. The option checks ask for
# reduction='none', so a wrong reduction costs the reduction points only, and the report shows
# the wrong element.

def _pair(ndim, dtype=F64, scale=2.0, same=0, low=2):
    """input and target of a random shape of `ndim` axes, sizes `low` to `low` + 3 (differences of all
    sizes around 1, so both branches of smooth L1 and Huber show); `same` entries of the target
    equal the input exactly (d = 0)."""
    def draw(rng):
        size = shape(rng, ndim, low, low + 3)
        x, y = normal(rng, size, scale), normal(rng, size, scale)
        if same:
            at = rng.permutation(x.size)[:same]
            y.flat[at] = x.flat[at]
        return x.astype(dtype), y.astype(dtype)
    return draw


def _plus(draw, *options):
    """A draw of (input, target) followed by fixed option values (reduction, beta, ...)."""
    return lambda rng: (*draw(rng), *options)


REGRESSION = [Case(f"{_name(d)}-{n}d", _pair(n, d)) for n in (1, 2, 3) for d in _DTYPES]
REGRESSION_REDUCTIONS = [Case(f"{_name(d)}-{n}d-{r}", _plus(_pair(n, d), r))
                         for n, d in [(2, F64), (3, F32)] for r in REDUCTIONS]
# 0-d and 3-D: 'none' keeps the shape, 'mean' and 'sum' are 0-d.
REGRESSION_CONTRACT = [
    Case("float64-scalar-mean", _plus(_pair(0, F64), "mean")),
    Case("float32-scalar-none", _plus(_pair(0, F32), "none")),
    Case("float64-3d-none", _plus(_pair(3, F64), "none")),
    Case("float32-3d-sum", _plus(_pair(3, F32), "sum")),
]
SMOOTH_BETAS = [
    Case("float64-beta0.5", _plus(_pair(2), "none", 0.5)),
    Case("float64-beta2", _plus(_pair(1, scale=3.0), "none", 2.0)),
    Case("float32-beta0.25", _plus(_pair(3, F32), "none", 0.25)),
]
# beta = 0 is exactly L1: no division by beta, and d = 0 gives 0 (not 0/0).
SMOOTH_BETA_ZERO = [
    Case("float64-beta0", _plus(_pair(1, same=3, low=6), "none", 0.0)),
    Case("float32-beta0", _plus(_pair(2, F32, same=4, low=3), "none", 0.0)),
    Case("float64-3d-beta0", _plus(_pair(3, same=5), "none", 0.0)),
]
HUBER_DELTAS = [
    Case("float64-delta0.5", _plus(_pair(2), "none", 0.5)),
    Case("float64-delta2", _plus(_pair(1, scale=3.0), "none", 2.0)),
    Case("float64-delta3", _plus(_pair(2, scale=4.0), "none", 3.0)),
    Case("float32-delta0.25", _plus(_pair(3, F32), "none", 0.25)),
]


# --- mse_loss --------------------------------------------------------------------------

@graded("mse_loss", points=2, category="values", public=True)
@cases(*REGRESSION)
def test_mse_loss_values(student, ref, input, target):
    """matches F.mse_loss: the mean of (input - target)**2 over every element"""
    matches_torch(student.mse_loss, ref.mse_loss, input, target)


@graded("mse_loss", points=1, category="options")
@cases(*REGRESSION_REDUCTIONS)
def test_mse_loss_reductions(student, ref, input, target, reduction):
    """reduction='mean' (over every element), 'sum' and 'none'"""
    matches_torch(student.mse_loss, ref.mse_loss, input, target, reduction)


@graded("mse_loss", points=1, category="contract")
@cases(*REGRESSION_CONTRACT)
def test_mse_loss_contract(student, ref, input, target, reduction):
    """any input shape (0-d and 3-D too): 'none' keeps it, 'mean' and 'sum' are 0-d; inputs left unchanged"""
    matches_torch(student.mse_loss, ref.mse_loss, input, target, reduction)


# --- l1_loss ---------------------------------------------------------------------------

@graded("l1_loss", points=2, category="values", public=True)
@cases(*REGRESSION)
def test_l1_loss_values(student, ref, input, target):
    """matches F.l1_loss: the mean of |input - target| over every element"""
    matches_torch(student.l1_loss, ref.l1_loss, input, target)


@graded("l1_loss", points=1, category="options")
@cases(*REGRESSION_REDUCTIONS)
def test_l1_loss_reductions(student, ref, input, target, reduction):
    """reduction='mean' (over every element), 'sum' and 'none'"""
    matches_torch(student.l1_loss, ref.l1_loss, input, target, reduction)


@graded("l1_loss", points=1, category="contract")
@cases(*REGRESSION_CONTRACT)
def test_l1_loss_contract(student, ref, input, target, reduction):
    """any input shape (0-d and 3-D too): 'none' keeps it, 'mean' and 'sum' are 0-d; inputs left unchanged"""
    matches_torch(student.l1_loss, ref.l1_loss, input, target, reduction)


# --- smooth_l1_loss --------------------------------------------------------------------

@graded("smooth_l1_loss", points=2, category="values", public=True)
@cases(*REGRESSION)
def test_smooth_l1_loss_values(student, ref, input, target):
    """matches F.smooth_l1_loss (beta=1, mean): 0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta"""
    matches_torch(student.smooth_l1_loss, ref.smooth_l1_loss, input, target)


@graded("smooth_l1_loss", points=1, category="options")
@cases(*REGRESSION_REDUCTIONS)
def test_smooth_l1_loss_reductions(student, ref, input, target, reduction):
    """reduction='mean' (over every element), 'sum' and 'none'"""
    matches_torch(student.smooth_l1_loss, ref.smooth_l1_loss, input, target, reduction)


@graded("smooth_l1_loss", points=1, category="options")
@cases(*SMOOTH_BETAS)
def test_smooth_l1_loss_beta(student, ref, input, target, reduction, beta):
    """other betas: the quadratic part is divided by beta, the linear part shifted by 0.5 beta"""
    matches_torch(student.smooth_l1_loss, ref.smooth_l1_loss, input, target, reduction, beta)


@graded("smooth_l1_loss", points=1, category="stability")
@cases(*SMOOTH_BETA_ZERO)
def test_smooth_l1_loss_beta_zero(student, ref, input, target, reduction, beta):
    """beta=0 is exactly the L1 loss: no 0/0 = NaN where input == target"""
    matches_torch(student.smooth_l1_loss, ref.smooth_l1_loss, input, target, reduction, beta)


@graded("smooth_l1_loss", points=1, category="contract")
@cases(*REGRESSION_CONTRACT)
def test_smooth_l1_loss_contract(student, ref, input, target, reduction):
    """any input shape (0-d and 3-D too): 'none' keeps it, 'mean' and 'sum' are 0-d; inputs left unchanged"""
    matches_torch(student.smooth_l1_loss, ref.smooth_l1_loss, input, target, reduction)


# --- huber_loss ------------------------------------------------------------------------

@graded("huber_loss", points=2, category="values", public=True)
@cases(*REGRESSION)
def test_huber_loss_values(student, ref, input, target):
    """matches F.huber_loss (delta=1, mean): 0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta)"""
    matches_torch(student.huber_loss, ref.huber_loss, input, target)


@graded("huber_loss", points=1, category="options")
@cases(*REGRESSION_REDUCTIONS)
def test_huber_loss_reductions(student, ref, input, target, reduction):
    """reduction='mean' (over every element), 'sum' and 'none'"""
    matches_torch(student.huber_loss, ref.huber_loss, input, target, reduction)


@graded("huber_loss", points=2, category="options")
@cases(*HUBER_DELTAS)
def test_huber_loss_delta(student, ref, input, target, reduction, delta):
    """other deltas: huber = delta * smooth_l1(beta=delta), equal to smooth L1 only for delta = 1"""
    matches_torch(student.huber_loss, ref.huber_loss, input, target, reduction, delta)


@graded("huber_loss", points=1, category="contract")
@cases(*REGRESSION_CONTRACT)
def test_huber_loss_contract(student, ref, input, target, reduction):
    """any input shape (0-d and 3-D too): 'none' keeps it, 'mean' and 'sum' are 0-d; inputs left unchanged"""
    matches_torch(student.huber_loss, ref.huber_loss, input, target, reduction)


# --- wave 2: known mistakes ------------------------------------------------------------

ALL_MSE, ALL_L1, ALL_SMOOTH, ALL_HUBER = (_all(api) for api in ("mse_loss", "l1_loss", "smooth_l1_loss",
                                                                  "huber_loss"))


def _mean_all(losses, reduction):
    return _reduce(losses, reduction, np.size(losses))


def _smooth(d, beta):
    """smooth L1 element-wise, torch's way: no division by beta when beta = 0."""
    a = np.abs(d)
    if beta == 0:
        return a
    return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


def _huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


# mse_loss

@mistake("mse_loss", "'mean' divided by the batch size len(input), not by the number of elements",
         fix="np.mean over every element: the sum divided by input.size",
         fails=["test_mse_loss_values", "test_mse_loss_reductions"])
def mse_loss_batch_mean(input, target, reduction="mean"):
    losses = (input - target) ** 2
    return _reduce(losses, reduction, len(losses) if np.ndim(losses) else 1)


@mistake("mse_loss", "root mean square error: the square root of the MSE",
         fix="no square root: mean((input - target)**2)",
         fails=ALL_MSE)
def mse_loss_root(input, target, reduction="mean"):
    return np.sqrt(_mean_all((input - target) ** 2, reduction))


@mistake("mse_loss", "half the squared error (the 1/2 d**2 convention of some textbooks)",
         fix="torch's MSE has no 1/2: mean((input - target)**2)", fails=ALL_MSE)
def mse_loss_half(input, target, reduction="mean"):
    return _mean_all(0.5 * (input - target) ** 2, reduction)


@mistake("mse_loss", "the absolute error |input - target| (that is l1_loss)", fix="square the differences",
         fails=ALL_MSE)
def mse_loss_is_l1(input, target, reduction="mean"):
    return _mean_all(np.abs(input - target), reduction)


@mistake("mse_loss", "reduction='mean' summed the losses instead of averaging them",
         fix="'mean' divides the sum by the number of elements (np.mean)",
         fails=["test_mse_loss_values", "test_mse_loss_reductions"])
def mse_loss_sum_for_mean(input, target, reduction="mean"):
    return _mean_all((input - target) ** 2, "sum" if reduction == "mean" else reduction)


@mistake("mse_loss", *IN_PLACE, fails=ALL_MSE)
def mse_loss_in_place(input, target, reduction="mean"):
    input -= target
    input *= input
    return _mean_all(input, reduction)


# l1_loss

@mistake("l1_loss", "no absolute value: the mean signed difference", fix="mean(np.abs(input - target))",
         fails=ALL_L1)
def l1_loss_signed(input, target, reduction="mean"):
    return _mean_all(input - target, reduction)


@mistake("l1_loss", "squared the differences (that is mse_loss)", fix="mean(np.abs(input - target))",
         fails=ALL_L1)
def l1_loss_is_mse(input, target, reduction="mean"):
    return _mean_all((input - target) ** 2, reduction)


@mistake("l1_loss", "'mean' divided by the batch size len(input), not by the number of elements",
         fix="np.mean over every element: the sum divided by input.size",
         fails=["test_l1_loss_values", "test_l1_loss_reductions"])
def l1_loss_batch_mean(input, target, reduction="mean"):
    losses = np.abs(input - target)
    return _reduce(losses, reduction, len(losses) if np.ndim(losses) else 1)


@mistake("l1_loss", "reduction='mean' summed the losses instead of averaging them",
         fix="'mean' divides the sum by the number of elements (np.mean)",
         fails=["test_l1_loss_values", "test_l1_loss_reductions"])
def l1_loss_sum_for_mean(input, target, reduction="mean"):
    return _mean_all(np.abs(input - target), "sum" if reduction == "mean" else reduction)


# smooth_l1_loss

@mistake("smooth_l1_loss", "the Huber formula (no division by beta): smooth L1 is huber / beta",
         fix="0.5 * d**2 / beta where |d| < beta, else |d| - 0.5 * beta",
         fails=["test_smooth_l1_loss_beta", "test_smooth_l1_loss_beta_zero"])
def smooth_l1_loss_is_huber(input, target, reduction="mean", beta=1.0):
    return _mean_all(_huber(input - target, beta), reduction)


@mistake("smooth_l1_loss", "ignored beta (always 1)", fix="use the beta argument in both branches",
         fails=["test_smooth_l1_loss_beta", "test_smooth_l1_loss_beta_zero"])
def smooth_l1_loss_fixed_beta(input, target, reduction="mean", beta=1.0):
    return _mean_all(_smooth(input - target, 1.0), reduction)


@mistake("smooth_l1_loss", "|d| <= beta for the quadratic branch: with beta = 0 that is 0/0 = NaN where d = 0",
         fix="torch's test is strict, |d| < beta: with beta = 0 no element takes the quadratic branch",
         fails=["test_smooth_l1_loss_beta_zero"])
def smooth_l1_loss_at_most(input, target, reduction="mean", beta=1.0):
    d = input - target
    a = np.abs(d)
    return _mean_all(np.where(a <= beta, 0.5 * d * d / beta, a - 0.5 * beta), reduction)


@mistake("smooth_l1_loss", "a min-based form 0.5 m**2 / beta + (|d| - m), m = min(|d|, beta): 0/0 = NaN for beta = 0",
         fix="choose the branch with np.where(|d| < beta, ...), and for beta = 0 return |d| (torch does)",
         fails=["test_smooth_l1_loss_beta_zero"])
def smooth_l1_loss_min_form(input, target, reduction="mean", beta=1.0):
    a = np.abs(input - target)
    m = np.minimum(a, beta)
    return _mean_all(0.5 * m * m / beta + (a - m), reduction)


@mistake("smooth_l1_loss", "the branches swapped: quadratic for large |d|, linear for small",
         fix="0.5 * d**2 / beta where |d| < beta (small errors), |d| - 0.5 * beta elsewhere", fails=ALL_SMOOTH)
def smooth_l1_loss_swapped(input, target, reduction="mean", beta=1.0):
    d = input - target
    a = np.abs(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _mean_all(np.where(a < beta, a - 0.5 * beta, 0.5 * d * d / np.where(beta == 0, 1, beta)), reduction)


@mistake("smooth_l1_loss", "forgot the 1/2 in the quadratic branch and the 0.5 beta shift",
         fix="0.5 * d**2 / beta where |d| < beta, else |d| - 0.5 * beta (the two meet at |d| = beta)",
         fails=["test_smooth_l1_loss_values", "test_smooth_l1_loss_reductions", "test_smooth_l1_loss_beta",
                "test_smooth_l1_loss_contract"])
def smooth_l1_loss_no_halves(input, target, reduction="mean", beta=1.0):
    d = input - target
    a = np.abs(d)
    return _mean_all(a if beta == 0 else np.where(a < beta, d * d / beta, a), reduction)


@mistake("smooth_l1_loss", "reduction='mean' summed the losses instead of averaging them",
         fix="'mean' divides the sum by the number of elements (np.mean)",
         fails=["test_smooth_l1_loss_values", "test_smooth_l1_loss_reductions"])
def smooth_l1_loss_sum_for_mean(input, target, reduction="mean", beta=1.0):
    return _mean_all(_smooth(input - target, beta), "sum" if reduction == "mean" else reduction)


# huber_loss

@mistake("huber_loss", "smooth L1 in place of Huber: the two differ by a factor delta (huber = delta * smooth_l1)",
         fix="0.5 * d**2 where |d| < delta, else delta * (|d| - 0.5 * delta)", fails=["test_huber_loss_delta"])
def huber_loss_is_smooth_l1(input, target, reduction="mean", delta=1.0):
    return _mean_all(_smooth(input - target, delta), reduction)


@mistake("huber_loss", "the linear branch is not scaled by delta: |d| - 0.5 delta",
         fix="delta * (|d| - 0.5 * delta), so the branches meet at |d| = delta", fails=["test_huber_loss_delta"])
def huber_loss_unscaled_linear(input, target, reduction="mean", delta=1.0):
    d = input - target
    a = np.abs(d)
    return _mean_all(np.where(a < delta, 0.5 * d * d, a - 0.5 * delta), reduction)


@mistake("huber_loss", "ignored delta (always 1)", fix="use the delta argument in the test and the linear branch",
         fails=["test_huber_loss_delta"])
def huber_loss_fixed_delta(input, target, reduction="mean", delta=1.0):
    return _mean_all(_huber(input - target, 1.0), reduction)


@mistake("huber_loss", "forgot the 1/2 in the quadratic branch", fix="0.5 * d**2 where |d| < delta",
         fails=ALL_HUBER)
def huber_loss_no_half(input, target, reduction="mean", delta=1.0):
    d = input - target
    a = np.abs(d)
    return _mean_all(np.where(a < delta, d * d, delta * (a - 0.5 * delta)), reduction)


@mistake("huber_loss", "reduction='mean' summed the losses instead of averaging them",
         fix="'mean' divides the sum by the number of elements (np.mean)",
         fails=["test_huber_loss_values", "test_huber_loss_reductions"])
def huber_loss_sum_for_mean(input, target, reduction="mean", delta=1.0):
    return _mean_all(_huber(input - target, delta), "sum" if reduction == "mean" else reduction)


@mistake("huber_loss", *IN_PLACE, fails=ALL_HUBER)
def huber_loss_in_place(input, target, reduction="mean", delta=1.0):
    input -= target
    return _mean_all(_huber(input, delta), reduction)
