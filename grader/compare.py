"""The comparison engine: is the student's answer torch's, and if not, what differs?

`assert_close(outcome, expected)` raises `Mismatch` with a report in the manner of
`torch.testing.assert_close`: the call and its inputs, expected vs got, how many elements
differ, the greatest absolute and relative difference and where, NaN/inf where torch has
finite values, shape and dtype problems, and `Likely mistake:` lines from the catalogue.
Tolerances are torch's defaults for the dtype of the reference (so float64 answers to
float32 inputs pass: fairness), with NaN equal to NaN and inf to inf of the same sign.
"""
import numpy as np

from grader import mistakes
from grader.api import parameter_names

# torch.testing.assert_close defaults: {dtype: (rtol, atol)}
TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
}


class Mismatch(AssertionError):
    """The student's answer is wrong; the message says how. Not an error of the grader."""


def tolerance(dtype):
    return TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float64)])


def differences(got, expected, rtol, atol):
    """Element-wise comparison; returns a report string, or "" when got is close enough."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(expected, dtype=np.float64)
    bad = ~_close(got, want, rtol, atol)
    if not bad.any():
        return ""
    lines = [f"Mismatched elements: {bad.sum()} / {bad.size} ({100.0 * bad.sum() / bad.size:.1f}%)"]
    for label, mask in (("NaN", np.isnan(got)), ("+inf", got == np.inf), ("-inf", got == -np.inf)):
        surprise = mask & bad
        if surprise.any():
            first = tuple(np.argwhere(surprise)[0])
            where = f" at {surprise.sum()} position(s), first{_at(first)}" if got.ndim else ""
            lines.append(f"got {label}{where} where torch has {_num(want[first])}")
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        abs_diff = np.abs(got - want)
        rel_diff = np.where(want != 0, abs_diff / np.abs(want), np.inf)
    finite = bad & np.isfinite(abs_diff)
    if finite.any():
        a = np.unravel_index(np.argmax(np.where(finite, abs_diff, -1.0)), got.shape)
        r = np.unravel_index(np.argmax(np.where(finite, rel_diff, -1.0)), got.shape)
        lines.append(f"Greatest absolute difference: {_num(abs_diff[a])}{_at(a)} "
                     f"(up to {atol:g} allowed)")
        lines.append(f"Greatest relative difference: {_num(rel_diff[r])}{_at(r)} "
                     f"(up to {rtol:g} allowed)")
    return "\n".join(lines)


def first_mismatch(got, expected):
    """Index of the first element that differs beyond tolerance (for the report), or None."""
    want = np.asarray(expected)
    got = np.asarray(got, dtype=np.float64)
    if got.shape != want.shape:
        return None
    bad = ~_close(got, want.astype(np.float64), *tolerance(want.dtype))
    return tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else None


def _close(got, want, rtol, atol):
    """torch.testing.assert_close's rule, with equal_nan=True and infinities equal to themselves."""
    with np.errstate(invalid="ignore", over="ignore"):
        within = np.isfinite(want) & (np.abs(got - want) <= atol + rtol * np.abs(want))
    return within | (np.isnan(got) & np.isnan(want)) | (np.isinf(want) & (got == want))


def assert_close(outcome, expected, what=None):
    """Raise Mismatch unless the student's outcome equals the torch reference within tolerance."""
    expected = np.asarray(expected)
    problem = _problem(outcome, expected)
    if problem:
        raise Mismatch(_report(outcome, expected, problem, what))


def assert_untouched(outcome):
    """Raise Mismatch if the call modified one of its input arrays in place."""
    if outcome.mutated:
        names = ", ".join(outcome.mutated)
        raise Mismatch(_report(outcome, None, f"modified its input ({names}) in place; "
                               "a function must leave its arguments unchanged", None)
                       + "\n" + mistakes.line(*mistakes.IN_PLACE))


def _problem(outcome, expected):
    if not outcome.ok:
        return outcome.problem or "gave no answer"
    got = outcome.value
    if got.shape != expected.shape:
        return f"shape: expected {expected.shape}, got {got.shape}"
    if got.dtype.kind not in "f" and expected.dtype.kind == "f":
        return f"dtype: expected floating point numbers like {expected.dtype}, got {got.dtype}"
    rtol, atol = tolerance(expected.dtype)
    return differences(got, expected, rtol, atol)


def _report(outcome, expected, problem, what):
    lines = [f"{what or describe_call(outcome)} {'differs from torch' if expected is not None else 'is wrong'}:"]
    lines += ["  " + line for line in problem.splitlines()]
    inputs = _named_inputs(outcome)
    for name, value in inputs:
        lines.append(f"  input {name}: {show(value)}")
    if expected is not None:
        lines.append(f"  expected (torch): {show(expected)}")
        if outcome.ok:
            lines.append(f"  got:              {show(outcome.value)}")
            where = first_mismatch(outcome.value, expected)
            if where is not None and expected.size > SHOW_ALL:
                at = ", ".join(f"{n}={_num(v[where])}" for n, v in inputs if np.shape(v) == expected.shape)
                lines.append(f"  e.g. at index {_index(where)}: {at + ', ' if at else ''}"
                             f"expected {_num(expected[where])}, got {_num(outcome.value[where])}")
        lines += mistakes.diagnose(outcome, expected)
    return "\n".join(lines)


def describe_call(outcome):
    """`softmax(x, axis=0)`: the call as a student would write it."""
    names = parameter_names(outcome.api, len(outcome.args))
    parts = [n if isinstance(a, np.ndarray) else f"{n}={a!r}" for n, a in zip(names, outcome.args)]
    parts += [f"{k}=..." if isinstance(v, np.ndarray) else f"{k}={v!r}" for k, v in outcome.kwargs.items()]
    return f"{outcome.api}({', '.join(parts)})"


def _named_inputs(outcome):
    """The array arguments of a call, with their SPEC names."""
    names = parameter_names(outcome.api, len(outcome.args))
    items = list(zip(names, outcome.args)) + list(outcome.kwargs.items())
    return [(n, a) for n, a in items if isinstance(a, np.ndarray)]


SHOW_ALL = 12   # arrays up to this many elements are shown whole in reports


def show(value, limit=SHOW_ALL):
    """An array in one readable line (or a few), with dtype and shape."""
    a = np.asarray(value)
    head = f"{a.dtype} array of shape {a.shape}" if a.ndim else f"{a.dtype} scalar"
    if a.size > limit:
        flat = a.ravel()
        sample = np.array2string(flat[:6], precision=8, separator=", ")[:-1]
        return f"{head} [{sample[1:]}, ...]"
    body = np.array2string(a, precision=8, separator=", ", max_line_width=100)
    return f"{head} {' '.join(body.split())}" if a.ndim else f"{head} {body}"


def _num(x):
    return f"{float(x):.6g}"


def _at(idx):
    """" at index (i, j)" for an element of an array; nothing for a 0-d value (a reduced loss)."""
    return f" at index {_index(idx)}" if len(idx) else ""


def _index(idx):
    idx = tuple(int(i) for i in idx)
    return f"({idx[0]},)" if len(idx) == 1 else str(idx)
