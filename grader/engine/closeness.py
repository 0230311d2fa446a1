"""Closeness: torch.testing.assert_close's rule and the words for where two arrays differ.

The comparison engine (compare) and the catalogue of mistakes (mistakes) both decide "close
enough" with this one rule, so it lives below both of them.
"""
from collections.abc import Callable

import numpy as np

# torch.testing.assert_close defaults: {dtype: (rtol, atol)}
TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
}


def tolerance(dtype: object) -> tuple[float, float]:
    return TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float64)])


def differences(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float,
                where: "Callable[[tuple], str] | None" = None) -> str:
    """Element-wise comparison; returns a report string, or "" when got is close enough.
    `where(index)` words a location as " at ..." (default " at index (i, j)"; nothing for 0-d)."""
    where = where or at_index
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
            count = f" at {surprise.sum()} position(s), first{where(first)}" if got.ndim else ""
            lines.append(f"got {label}{count} where torch has {num(want[first])}")
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        abs_diff = np.abs(got - want)
        rel_diff = np.where(want != 0, abs_diff / np.abs(want), np.inf)
    finite = bad & np.isfinite(abs_diff)
    if finite.any():
        a = np.unravel_index(np.argmax(np.where(finite, abs_diff, -1.0)), got.shape)
        r = np.unravel_index(np.argmax(np.where(finite, rel_diff, -1.0)), got.shape)
        lines.append(f"Greatest absolute difference: {num(abs_diff[a])}{where(a)} "
                     f"(up to {atol:g} allowed)")
        lines.append(f"Greatest relative difference: {num(rel_diff[r])}{where(r)} "
                     f"(up to {rtol:g} allowed)")
    return "\n".join(lines)


def first_mismatch(got: np.ndarray, expected: np.ndarray) -> tuple[int, ...] | None:
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


def num(x: object) -> str:
    return f"{float(x):.6g}"


def at_index(idx: tuple) -> str:
    """" at index (i, j)" for an element of an array; nothing for a 0-d value (a reduced loss)."""
    return f" at index {index_text(idx)}" if len(idx) else ""


def index_text(idx: tuple) -> str:
    idx = tuple(int(i) for i in idx)
    return f"({idx[0]},)" if len(idx) == 1 else str(idx)
