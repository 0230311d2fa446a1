"""What secret inputs cost per submission (issue 16): making a student's call plan, writing and
reading it, and the torch references the judge needs for it, in a warm grading process.

    .venv/bin/python bench/plan.py [--students 10]

For each assignment it prints the median milliseconds per submission of
- plan: running the checks against a planning submission with the student's secret inputs;
- file: writing the plan beside the notebook and reading it back (what the kernel does);
- references: torch's answers for every call (what the judge computes; its comparisons are
  the same as before secret inputs);
- judge: ScoreFromRecords' whole judging of a correct record (references included).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from grader import reference  # noqa: E402  (torch, imported once, as in the autograde workers)
from grader.engine.bank import References  # noqa: E402
from grader.engine.inputs import Inputs  # noqa: E402
from grader.engine.plan import make_plan, read_plan, write_plan  # noqa: E402
from grader.engine.runner import judge  # noqa: E402
from grader.engine.submission import LiveSubmission, ReplayedSubmission  # noqa: E402
from grader.exercises import ASSIGNMENTS  # noqa: E402

SECRET = bytes(range(32))


def measure(assignment, students):
    names = list(ASSIGNMENTS[assignment])
    perfect = {n: getattr(reference, n) for n in names}
    times = {"plan": [], "file": [], "references": [], "judge": []}
    folder = tempfile.mkdtemp()
    for k in range(students + 1):   # the first is a warm-up
        inputs = Inputs.secret(SECRET, f"student{k}", assignment)
        t0 = time.perf_counter()
        plan = make_plan(inputs, names)
        t1 = time.perf_counter()
        write_plan(os.path.join(folder, "plan.npz"), assignment, plan)
        _, plan = read_plan(os.path.join(folder, "plan.npz"))
        t2 = time.perf_counter()
        # as ScoreFromRecords has them: torch for the student's inputs, the public bank for a
        # fixed case's (mlp's spirals)
        ref = References.for_assignment(assignment, trusted=True, compute=reference.answer)
        for calls in plan.values():
            live = LiveSubmission(perfect, time_limit=None)
            live.answer(calls)
        t3 = time.perf_counter()
        records = {}
        for name in names:
            live = LiveSubmission(perfect, time_limit=None)
            live.answer(plan[name])
            records[name] = live.record
        t4 = time.perf_counter()
        judge({n: ReplayedSubmission(records[n]) for n in names}, ref, inputs=inputs)
        t5 = time.perf_counter()
        if k:
            for key, seconds in (("plan", t1 - t0), ("file", t2 - t1), ("references", t3 - t2), ("judge", t5 - t4)):
                times[key].append(1000 * seconds)
    calls = sum(map(len, plan.values()))
    return calls, {key: statistics.median(v) for key, v in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    args = parser.parse_args()
    print(f"{'assignment':12} {'calls':>5} " + " ".join(f"{k + ' ms':>14}" for k in ("plan", "file", "references", "judge")))
    for assignment in ASSIGNMENTS:
        calls, ms = measure(assignment, args.students)
        print(f"{assignment:12} {calls:>5} " + " ".join(f"{ms[k]:>14.0f}" for k in ("plan", "file", "references", "judge")))


if __name__ == "__main__":
    main()
