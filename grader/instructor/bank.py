"""Building and verifying the public reference bank (grader/bank/*.npz) with live torch.

`python -m grader bank` runs each suite's public checks, on their public inputs
(grader.engine.inputs), against a perfect student (torch itself) and stores every reference
they asked for: the students' self-checks need nothing else, and the bank ships to students,
so it holds nothing of the hidden checks (which run only on each student's secret inputs,
against torch on the grading side). `--check` runs it again, with live torch, against the
stored bank and reports what a self-check using that bank would miss (cases it lacks, cases
whose inputs changed), entries no check asks for, and values more than MAX_ULPS from live torch.

Live torch is compared within a few ULPs, not bit for bit: torch's kernels differ by CPU
(AVX2, AVX-512: `ATEN_CPU_CAPABILITY`), so its last bits do too. The inputs are compared
exactly (each reference's digest), and they are the same on every CPU (grader.suites).
"""
import dataclasses
import importlib
import os

import numpy as np

from grader import reference
from grader.engine.bank import References, bank_path, load_bank, save_bank
from grader.engine.runner import judge
from grader.engine.submission import LiveSubmission
from grader.exercises import ASSIGNMENTS
from grader.suites import published_path

# Largest difference between a stored reference and live torch's, in ULPs at the reference's
# scale (`ulps`). Measured with a bank built on torch's AVX-512 kernels: 3 against its AVX2
# kernels, 2 against its default ones (README, "The reference bank").
MAX_ULPS = 8


def run(assignment, stored=None):
    """Run the assignment's public checks against a perfect student (torch itself) with live
    torch: the References after the run, whose `asked` is the bank's contents and `misses` what
    the `stored` bank could not have served. The perfect student reaches every public check and
    every case, so every reference a self-check can ask for is asked for here."""
    names = ASSIGNMENTS[assignment]
    ref = References(stored or {}, live=True, compute=reference.answer)
    perfect = LiveSubmission({name: getattr(reference, name) for name in names}, time_limit=None,
                             budget=3600)
    for name, result in judge({name: perfect for name in names}, ref, public_only=True).items():
        if result.problem or result.score != result.max_score:
            raise RuntimeError(f"torch itself does not pass the {name} checks:\n{result.report()}")
    return ref


def build(assignment):
    """{case key: Reference}: every reference the suite asks for, computed with live torch."""
    return run(assignment).asked


def publishable(assignment, bank):
    """{name: value} of the references the suite publishes for its notebook (its PUBLISHED),
    taken from `bank`."""
    suite = importlib.import_module(f"grader.suites.{assignment}")
    return {name: bank[key].value for name, key in getattr(suite, "PUBLISHED", {}).items()}


def publish(assignment, bank):
    """Write grader/data/<assignment>.npz from `bank`; returns its path, or None if the suite
    publishes nothing."""
    values = publishable(assignment, bank)
    if not values:
        return None
    os.makedirs(os.path.dirname(published_path(assignment)), exist_ok=True)
    np.savez(published_path(assignment), **values)
    return published_path(assignment)


def published_stale(assignment, stored):
    """Names of published references that differ from the stored bank's (or are missing)."""
    want = publishable(assignment, stored)
    if not want:
        return []
    if not os.path.exists(published_path(assignment)):
        return sorted(want)
    with np.load(published_path(assignment), allow_pickle=False) as data:
        return sorted(n for n, v in want.items() if n not in data or not np.array_equal(data[n], v))


def ulps(a, b):
    """How far `a` is from the reference `b`: the largest difference in units in the last
    place of b's largest magnitude (its scale, in b's dtype). Elements made by cancellation,
    like log_softmax near 0, are only as exact as that scale, in torch as anywhere. 0 when
    identical; inf when shape, dtype, or where NaN and inf are, differ."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return float("inf")
    if a.dtype.kind != "f":
        return 0.0 if np.array_equal(a, b) else float("inf")
    if not (np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(np.isinf(a), np.isinf(b))
            and np.array_equal(a[np.isinf(a)], b[np.isinf(b)])):
        return float("inf")
    finite = np.isfinite(b)
    if not finite.any():
        return 0.0
    # float64 holds a float32 difference exactly, and a float64 one of close values (Sterbenz)
    difference = np.max(np.abs(a[finite].astype(np.float64) - b[finite].astype(np.float64)))
    return float(difference / np.spacing(np.max(np.abs(b[finite]))))


@dataclasses.dataclass
class Verdict:
    """How a stored bank compares with live torch."""

    assignment: str
    references: int                  # how many references the suite asks for
    misses: dict                     # case key -> why the stored bank cannot serve it
    unused: list                     # stored keys that no check asks for
    worst: tuple = (0.0, "")         # (largest difference from live torch in ULPs, its key)
    unpublished: list = dataclasses.field(default_factory=list)   # grader/data/ entries not the bank's

    @property
    def stale(self):
        return bool(self.misses or self.unused or self.worst[0] > MAX_ULPS or self.unpublished)

    def text(self):
        lines = [f"{self.assignment}: {self.references} references, bank "
                 f"{'STALE' if self.stale else 'up to date'}; largest difference from live torch "
                 f"{self.worst[0]:g} ULPs" + (f" ({self.worst[1]})" if self.worst[0] else "")]
        if self.worst[0] > MAX_ULPS:
            lines.append(f"  more than {MAX_ULPS} ULPs from live torch: {self.worst[1]}")
        lines += [f"  miss: {key}: {why}" for key, why in self.misses.items()]
        lines += [f"  unused: {key}" for key in self.unused]
        lines += [f"  published for the notebook, but not the bank's value: {name}" for name in self.unpublished]
        return "\n".join(lines)


def verify(assignment, stored=None) -> Verdict:
    """Compare the stored bank (by default the shipped one) with a live build."""
    stored = load_bank(assignment) if stored is None else stored
    ref = run(assignment, stored)
    worst = (0.0, "")
    for key, live in ref.asked.items():
        if key not in ref.misses:
            worst = max(worst, (ulps(stored[key].value, live.value), key))
    return Verdict(assignment, len(ref.asked), dict(ref.misses), sorted(set(stored) - set(ref.asked)), worst,
                   published_stale(assignment, stored))


def main(assignments, check=False):
    """Build (or with `check`, verify) the bank of each assignment; returns the stale ones."""
    stale = []
    for assignment in assignments:
        if check:
            verdict = verify(assignment)
            print(verdict.text())
            if verdict.stale:
                stale.append(assignment)
        else:
            bank = build(assignment)
            save_bank(assignment, bank)
            print(f"{assignment}: wrote {len(bank)} references to {bank_path(assignment)}")
            path = publish(assignment, bank)
            if path:
                print(f"{assignment}: wrote the references its notebook shows to {path}")
    return stale
