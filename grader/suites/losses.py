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
import pytest

from grader.engine.mistakes import IN_PLACE, mistake
from grader.suites import (array, exact_distribution, exact_log, exact_normal, exact_uniform, graded,
                           matches_torch)

REDUCTIONS = ("mean", "sum", "none")
_DTYPES = (np.float64, np.float32)


def _name(dtype):
    return np.dtype(dtype).name


def _log_softmax(z):
    """Row-wise log-softmax in numpy (the mistakes use it)."""
    z = z - np.max(z, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _classification(n, c, dtype, seed):
    """Reproducible logits (n, c) of `dtype`, int64 class targets (n,) and class weights (c,)."""
    rng = np.random.default_rng(seed)
    logits = exact_normal(rng, (n, c), 3.0).astype(dtype)
    targets = rng.integers(0, c, n).astype(np.int64)
    # Unequal weights, so that dividing by N instead of by the picked weights shows.
    weight = exact_uniform(rng, 0.2, 3.0, c).astype(dtype)
    return logits, targets, weight


def _ids(params):
    return [pytest.param(*p[:-1], id=p[-1]) for p in params]


# (logits, targets, weight, id) from small to large, float64 and float32.
_CLASSIFICATION = [(*_classification(n, c, dtype, seed), f"{_name(dtype)}{[n, c]}")
                   for seed, (n, c) in enumerate([(1, 3), (4, 5), (16, 10)]) for dtype in _DTYPES]


def _log_probs(shape, dtype, seed):
    """Log-probabilities over the last axis: the exact log of a random distribution."""
    return exact_log(exact_distribution(np.random.default_rng(seed), shape)).astype(dtype)


def _as_log_probs(cases, seed=200):
    """The classification cases with log-probabilities in place of the logits."""
    return [(_log_probs(x.shape, x.dtype, seed + k), t, w, i) for k, (x, t, w, i) in enumerate(cases)]


CE_ORDINARY = _ids([(x, t, i) for x, t, w, i in _CLASSIFICATION])
CE_REDUCTIONS = _ids([(x, t, r, f"{i}-{r}") for x, t, w, i in _CLASSIFICATION[2:] for r in REDUCTIONS])
CE_WEIGHTS = _ids([(x, t, w, r, f"{i}-{r}") for x, t, w, i in _CLASSIFICATION[2:] for r in REDUCTIONS])
NLL_ORDINARY = _ids([(x, t, i) for x, t, w, i in _as_log_probs(_CLASSIFICATION)])
NLL_REDUCTIONS = _ids([(x, t, r, f"{i}-{r}") for x, t, w, i in _as_log_probs(_CLASSIFICATION[2:])
                       for r in REDUCTIONS])
NLL_WEIGHTS = _ids([(x, t, w, r, f"{i}-{r}") for x, t, w, i in _as_log_probs(_CLASSIFICATION[2:])
                    for r in REDUCTIONS])
# A batch of one (the 'none' answer has shape (1,), the others are 0-d), and a float32
# batch of three: the result's shape for every reduction.
_BATCH_OF_ONE = [(*_classification(1, 4, np.float64, 10)[:2], "float64[1, 4]"),
                 (*_classification(3, 4, np.float32, 11)[:2], "float32[3, 4]")]
CE_CONTRACT = _ids([(x, t, r, f"{i}-{r}") for x, t, i in _BATCH_OF_ONE for r in REDUCTIONS])
NLL_CONTRACT = _ids([(_log_probs(x.shape, x.dtype, 210 + k), t, r, f"{i}-{r}")
                     for k, (x, t, i) in enumerate(_BATCH_OF_ONE) for r in REDUCTIONS])
GRAD_CONTRACT = _ids([(x, t, i) for x, t, i in _BATCH_OF_ONE])
# Single rows (so the reduction does not matter) whose exp overflows or underflows. The
# first two tell log(softmax) (fails on the gap) from an unshifted log-sum-exp (fails on 1000).
HUGE_LOGITS = _ids([
    (array([[0.0, -1000.0]]), array([1], np.int64), "float64-gap-1000"),
    (array([[1000.0, 1001.0]]), array([0], np.int64), "float64-1000-1001"),
    (array([[1000.0, 0.0]]), array([1], np.int64), "float64-1000-vs-0"),
    (array([[-1000.0, -1000.0, -1010.0]]), array([2], np.int64), "float64-all-negative"),
    (array([[100.0, 0.0, -100.0]], np.float32), array([2], np.int64), "float32-100"),
])


def _binary(shape, dtype, seed, soft=False):
    """Probabilities in [0.02, 0.98], targets in {0, 1} (or in (0, 1) when soft)."""
    rng = np.random.default_rng(seed)
    probs = exact_uniform(rng, 0.02, 0.98, shape).astype(dtype)
    targets = exact_uniform(rng, 0.0, 1.0, shape) if soft else rng.integers(0, 2, shape)
    return probs, targets.astype(dtype)


def _binary_logits(shape, dtype, seed, soft=False):
    """Moderate logits (|z| up to about 5, where even float32 sigmoid-then-log is accurate
    enough: its loss of precision is for the stability check) and targets as `_binary`."""
    probs, targets = _binary(shape, dtype, seed, soft)
    rng = np.random.default_rng(seed + 100)
    return exact_normal(rng, shape, 2.0).astype(dtype), targets


_SHAPES = [(5,), (3, 4)]
BCE_HARD = _ids([(*_binary(s, d, k), f"{_name(d)}{list(s)}")
                 for k, s in enumerate(_SHAPES) for d in _DTYPES])
BCE_SOFT = _ids([(*_binary(s, d, 10 + k, soft=True), f"{_name(d)}{list(s)}-soft")
                 for k, s in enumerate(_SHAPES) for d in _DTYPES])
BCE_REDUCTIONS = _ids([(*_binary((3, 4), d, 20), r, f"{_name(d)}[3, 4]-{r}")
                       for d in _DTYPES for r in REDUCTIONS])
BCE_ZERO_ONE = _ids([
    (array([0.0, 1.0]), array([0.0, 1.0]), "float64-right-and-sure"),
    (array([0.0, 1.0]), array([1.0, 0.0]), "float64-wrong-and-sure"),
    (array([1e-50]), array([1.0]), "float64-1e-50"),
    (array([0.0, 0.0, 1.0, 1.0, 1e-50]), array([0.0, 1.0, 0.0, 1.0, 1.0]), "float64-mixed"),
    (array([[0.0, 1.0], [1.0, 0.25]], np.float32), array([[1.0, 1.0], [0.0, 0.0]], np.float32),
     "float32-2d"),
])
BCE_CONTRACT = _ids([(array(0.3), array(1.0), "mean", "float64-scalar-mean"),
                     (array(0.3, np.float32), array(0.0, np.float32), "none", "float32-scalar-none"),
                     (*_binary((2, 3, 4), np.float64, 30), "none", "float64[2, 3, 4]-none"),
                     (*_binary((2, 3, 4), np.float32, 31), "mean", "float32[2, 3, 4]-mean")])
BCEL_ORDINARY = _ids([(*_binary_logits(s, d, 40 + k, soft), f"{_name(d)}{list(s)}{'-soft' if soft else ''}")
                      for k, s in enumerate(_SHAPES) for soft in (False, True) for d in _DTYPES])
BCEL_REDUCTIONS = _ids([(*_binary_logits((3, 4), d, 50), r, f"{_name(d)}[3, 4]-{r}")
                        for d in _DTYPES for r in REDUCTIONS])
BCEL_HUGE = _ids([
    (array([12.0, -12.0], np.float32), array([0.0, 1.0], np.float32), "float32-12"),
    (array([40.0, -40.0]), array([0.0, 1.0]), "float64-40"),
    (array([1000.0, -1000.0]), array([0.0, 1.0]), "float64-1000-wrong"),
    (array([1000.0, -1000.0]), array([1.0, 0.0]), "float64-1000-right"),
    (array([[800.0, -3.0], [0.5, -1200.0]]), array([[0.25, 1.0], [0.0, 0.5]]), "float64-2d-soft"),
    (array([100.0, -100.0, 89.0], np.float32), array([0.0, 1.0, 0.5], np.float32), "float32-100"),
])
BCEL_CONTRACT = _ids([(array(-0.7), array(1.0), "mean", "float64-scalar-mean"),
                      (array(2.0, np.float32), array(0.0, np.float32), "none", "float32-scalar-none"),
                      (*_binary_logits((2, 3, 4), np.float64, 60), "none", "float64[2, 3, 4]-none"),
                      (*_binary_logits((2, 3, 4), np.float32, 61), "mean", "float32[2, 3, 4]-mean")])


def _distributions(shape, dtype, seed):
    """log q and p: two distributions over the last axis of `shape`."""
    rng = np.random.default_rng(seed)
    log_q = exact_log(exact_distribution(rng, shape))
    p = exact_distribution(rng, shape)
    return log_q.astype(dtype), p.astype(dtype)


KL_ORDINARY = _ids([(*_distributions(s, d, 70 + k), f"{_name(d)}{list(s)}")
                    for k, s in enumerate([(1, 4), (3, 5), (8, 10)]) for d in _DTYPES])
KL_REDUCTIONS = _ids([(*_distributions(s, d, 80 + k), r, f"{_name(d)}{list(s)}-{r}")
                      for k, (s, d) in enumerate([((3, 5), np.float64), ((2, 3, 4), np.float32)])
                      for r in ("batchmean", "mean", "sum", "none")])
_ONE_HOT = np.eye(4)[[1, 3, 0]]
KL_ZEROS = _ids([
    (exact_log(array([[0.25, 0.25, 0.5]])), array([[0.0, 0.5, 0.5]]), "float64-one-zero"),
    (_distributions((3, 4), np.float64, 90)[0], _ONE_HOT, "float64-one-hot"),
    (array([[-1000.0, 0.0]]), array([[0.0, 1.0]]), "float64-q-tiny-where-p-zero"),
    (_distributions((3, 4), np.float32, 91)[0], _ONE_HOT.astype(np.float32), "float32-one-hot"),
])
KL_CONTRACT = _ids([(*_distributions((6,), np.float64, 95), "batchmean", "float64[6]-batchmean"),
                    (*_distributions((2, 3, 4), np.float32, 96), "none", "float32[2, 3, 4]-none")])


# --- nll_loss --------------------------------------------------------------------------

@graded("nll_loss", points=2, category="values", public=True)
@pytest.mark.parametrize("log_probs, targets", NLL_ORDINARY)
def test_nll_loss_values(student, ref, log_probs, targets):
    """matches F.nll_loss (mean over the batch) on log-probabilities, float32 and float64"""
    matches_torch(student.nll_loss, ref.nll_loss, log_probs, targets)


@graded("nll_loss", points=1, category="options")
@pytest.mark.parametrize("log_probs, targets, reduction", NLL_REDUCTIONS)
def test_nll_loss_reductions(student, ref, log_probs, targets, reduction):
    """reduction='mean', 'sum' and 'none' (one loss per sample)"""
    matches_torch(student.nll_loss, ref.nll_loss, log_probs, targets, None, reduction)


@graded("nll_loss", points=2, category="options")
@pytest.mark.parametrize("log_probs, targets, weight, reduction", NLL_WEIGHTS)
def test_nll_loss_weights(student, ref, log_probs, targets, weight, reduction):
    """class weights; the weighted 'mean' divides by the sum of the targets' weights, not by N"""
    matches_torch(student.nll_loss, ref.nll_loss, log_probs, targets, weight, reduction)


@graded("nll_loss", points=1, category="contract")
@pytest.mark.parametrize("log_probs, targets, reduction", NLL_CONTRACT)
def test_nll_loss_contract(student, ref, log_probs, targets, reduction):
    """a 0-d loss for 'mean'/'sum', shape (N,) for 'none' (N = 1 too); inputs left unchanged"""
    matches_torch(student.nll_loss, ref.nll_loss, log_probs, targets, None, reduction)


# --- cross_entropy ---------------------------------------------------------------------

@graded("cross_entropy", points=2, category="values", public=True)
@pytest.mark.parametrize("logits, targets", CE_ORDINARY)
def test_cross_entropy_values(student, ref, logits, targets):
    """matches F.cross_entropy (mean over the batch) on ordinary logits, float32 and float64"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets)


@graded("cross_entropy", points=1, category="options")
@pytest.mark.parametrize("logits, targets, reduction", CE_REDUCTIONS)
def test_cross_entropy_reductions(student, ref, logits, targets, reduction):
    """reduction='mean', 'sum' and 'none' (one loss per sample)"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets, None, reduction)


@graded("cross_entropy", points=2, category="options")
@pytest.mark.parametrize("logits, targets, weight, reduction", CE_WEIGHTS)
def test_cross_entropy_weights(student, ref, logits, targets, weight, reduction):
    """class weights; the weighted 'mean' divides by the sum of the targets' weights, not by N"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets, weight, reduction)


@graded("cross_entropy", points=2, category="stability")
@pytest.mark.parametrize("logits, targets", HUGE_LOGITS)
def test_cross_entropy_stability(student, ref, logits, targets):
    """finite for huge logits (log-sum-exp): [[1000, 0]] with target 1 gives 1000"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets)


@graded("cross_entropy", points=1, category="contract")
@pytest.mark.parametrize("logits, targets, reduction", CE_CONTRACT)
def test_cross_entropy_contract(student, ref, logits, targets, reduction):
    """a 0-d loss for 'mean'/'sum', shape (N,) for 'none' (N = 1 too); inputs left unchanged"""
    matches_torch(student.cross_entropy, ref.cross_entropy, logits, targets, None, reduction)


# --- cross_entropy_grad ----------------------------------------------------------------

@graded("cross_entropy_grad", points=3, category="gradient", public=True)
@pytest.mark.parametrize("logits, targets", CE_ORDINARY)
def test_cross_entropy_grad_values(student, ref, logits, targets):
    """matches torch.autograd's gradient of the mean cross-entropy: (softmax - onehot) / N"""
    matches_torch(student.cross_entropy_grad, ref.cross_entropy_grad, logits, targets)


@graded("cross_entropy_grad", points=1, category="stability")
@pytest.mark.parametrize("logits, targets", HUGE_LOGITS)
def test_cross_entropy_grad_stability(student, ref, logits, targets):
    """finite for huge logits: the gradient at [[1000, 0]] with target 1 is [[1, -1]]"""
    matches_torch(student.cross_entropy_grad, ref.cross_entropy_grad, logits, targets)


@graded("cross_entropy_grad", points=1, category="contract")
@pytest.mark.parametrize("logits, targets", GRAD_CONTRACT)
def test_cross_entropy_grad_contract(student, ref, logits, targets):
    """the logits' shape (N, C), N = 1 too; inputs left unchanged"""
    matches_torch(student.cross_entropy_grad, ref.cross_entropy_grad, logits, targets)


# --- binary_cross_entropy --------------------------------------------------------------

@graded("binary_cross_entropy", points=2, category="values", public=True)
@pytest.mark.parametrize("probs, targets", BCE_HARD)
def test_binary_cross_entropy_values(student, ref, probs, targets):
    """matches F.binary_cross_entropy (mean) for probabilities in (0, 1) and 0/1 targets"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets)


@graded("binary_cross_entropy", points=1, category="values")
@pytest.mark.parametrize("probs, targets", BCE_SOFT)
def test_binary_cross_entropy_soft_targets(student, ref, probs, targets):
    """soft targets in (0, 1): both terms y·log p and (1-y)·log(1-p) count"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets)


@graded("binary_cross_entropy", points=1, category="options")
@pytest.mark.parametrize("probs, targets, reduction", BCE_REDUCTIONS)
def test_binary_cross_entropy_reductions(student, ref, probs, targets, reduction):
    """reduction='mean' (over every element), 'sum' and 'none'"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets, reduction)


@graded("binary_cross_entropy", points=2, category="stability")
@pytest.mark.parametrize("probs, targets", BCE_ZERO_ONE)
def test_binary_cross_entropy_zero_one(student, ref, probs, targets):
    """p exactly 0 or 1: each log is clamped at -100, so a sure wrong answer costs 100, a sure right one 0"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets, "none")


@graded("binary_cross_entropy", points=1, category="contract")
@pytest.mark.parametrize("probs, targets, reduction", BCE_CONTRACT)
def test_binary_cross_entropy_contract(student, ref, probs, targets, reduction):
    """any input shape (0-d and 3-D too): 'none' keeps it, 'mean' is 0-d; inputs left unchanged"""
    matches_torch(student.binary_cross_entropy, ref.binary_cross_entropy, probs, targets, reduction)


# --- binary_cross_entropy_with_logits --------------------------------------------------

@graded("binary_cross_entropy_with_logits", points=2, category="values", public=True)
@pytest.mark.parametrize("logits, targets", BCEL_ORDINARY)
def test_binary_cross_entropy_with_logits_values(student, ref, logits, targets):
    """matches F.binary_cross_entropy_with_logits (mean) for moderate logits, 0/1 and soft targets"""
    matches_torch(student.binary_cross_entropy_with_logits, ref.binary_cross_entropy_with_logits,
                  logits, targets)


@graded("binary_cross_entropy_with_logits", points=1, category="options")
@pytest.mark.parametrize("logits, targets, reduction", BCEL_REDUCTIONS)
def test_binary_cross_entropy_with_logits_reductions(student, ref, logits, targets, reduction):
    """reduction='mean' (over every element), 'sum' and 'none'"""
    matches_torch(student.binary_cross_entropy_with_logits, ref.binary_cross_entropy_with_logits,
                  logits, targets, reduction)


@graded("binary_cross_entropy_with_logits", points=2, category="stability")
@pytest.mark.parametrize("logits, targets", BCEL_HUGE)
def test_binary_cross_entropy_with_logits_stability(student, ref, logits, targets):
    """exact for huge |logits|: z = 1000 with target 0 costs 1000, not BCE(sigmoid(z)) = 100"""
    matches_torch(student.binary_cross_entropy_with_logits, ref.binary_cross_entropy_with_logits,
                  logits, targets, "none")


@graded("binary_cross_entropy_with_logits", points=1, category="contract")
@pytest.mark.parametrize("logits, targets, reduction", BCEL_CONTRACT)
def test_binary_cross_entropy_with_logits_contract(student, ref, logits, targets, reduction):
    """any input shape (0-d and 3-D too): 'none' keeps it, 'mean' is 0-d; inputs left unchanged"""
    matches_torch(student.binary_cross_entropy_with_logits, ref.binary_cross_entropy_with_logits,
                  logits, targets, reduction)


# --- kl_div ----------------------------------------------------------------------------

@graded("kl_div", points=2, category="values", public=True)
@pytest.mark.parametrize("log_q, p", KL_ORDINARY)
def test_kl_div_values(student, ref, log_q, p):
    """matches F.kl_div(log_q, p, reduction='batchmean'): KL(p || q) summed, divided by the batch size"""
    matches_torch(student.kl_div, ref.kl_div, log_q, p)


@graded("kl_div", points=2, category="options")
@pytest.mark.parametrize("log_q, p, reduction", KL_REDUCTIONS)
def test_kl_div_reductions(student, ref, log_q, p, reduction):
    """'batchmean' = sum / size of axis 0, 'mean' = sum / number of elements, 'sum', 'none' (2-D and 3-D)"""
    matches_torch(student.kl_div, ref.kl_div, log_q, p, reduction)


@graded("kl_div", points=1, category="stability")
@pytest.mark.parametrize("log_q, p", KL_ZEROS)
def test_kl_div_zero_targets(student, ref, log_q, p):
    """target probabilities exactly 0 contribute 0 (0·log 0 = 0), not NaN"""
    matches_torch(student.kl_div, ref.kl_div, log_q, p, "none")


@graded("kl_div", points=1, category="contract")
@pytest.mark.parametrize("log_q, p, reduction", KL_CONTRACT)
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
