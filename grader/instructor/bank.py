"""Building and verifying the public reference bank (grader/bank/*.npz) with live torch.

`python -m grader bank` runs each suite against a perfect student (torch itself) and stores
every reference the checks asked for; `--check` compares a fresh build with the stored one.
"""
import numpy as np

from grader import reference
from grader.engine.bank import References, bank_path, load_bank, save_bank
from grader.engine.runner import run_checks
from grader.engine.submission import LiveSubmission
from grader.exercises import ASSIGNMENTS


def build(assignment: str) -> dict[str, np.ndarray]:
    """Every reference the suite asks for, computed with live torch: the bank's contents.

    The suite runs against a perfect student (torch itself), which reaches every check and
    every case, so every reference a real student's grading can ask for is asked for here.
    """
    names = ASSIGNMENTS[assignment]
    ref = References(live=True, compute=reference.answer)
    perfect = LiveSubmission({name: getattr(reference, name) for name in names}, time_limit=None,
                             budget=3600)
    for name in names:
        result = run_checks(name, perfect, ref)
        if result.problem or result.score != result.max_score:
            raise RuntimeError(f"torch itself does not pass the {name} checks:\n{result.report()}")
    return ref.asked


def same_bank(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    """Whether two banks hold the same keys with bit-identical values."""
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def main(assignments: list[str], check: bool = False) -> list[str]:
    """Build (or with `check`, verify) the bank of each assignment; returns the stale ones."""
    stale = []
    for assignment in assignments:
        values = build(assignment)
        if check:
            if not same_bank(values, load_bank(assignment)):
                stale.append(assignment)
            print(f"{assignment}: {len(values)} references, bank {'STALE' if assignment in stale else 'up to date'}")
        else:
            save_bank(assignment, values)
            print(f"{assignment}: wrote {len(values)} references to {bank_path(assignment)}")
    return stale
