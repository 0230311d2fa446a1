"""How long the feedback pictures of failed checks take (issue 20: at most 0.1 s per failed cell).

Judges the demo cohort's wrong students (dee, eli) in-process with live torch references, then
draws every failed cell's pictures twice and prints the milliseconds (wall and CPU) per failed
cell and the sizes of the PNGs. Run from the kit's folder: `python bench/figures.py`.
"""
import base64
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from grader.engine.bank import References  # noqa: E402
from grader.engine.runner import judge  # noqa: E402
from grader.engine.submission import LiveSubmission  # noqa: E402
from grader.exercises import ASSIGNMENTS  # noqa: E402
from grader.grading.figures import cell_figures  # noqa: E402
from grader.grading.pipeline import torch_answer  # noqa: E402
from grader.instructor.demo import REPO  # noqa: E402


def main() -> None:
    failed = []
    for student in ("dee", "eli"):
        for assignment, names in ASSIGNMENTS.items():
            path = os.path.join(REPO, "demo", "cohort", student, f"{assignment}.py")
            if not os.path.isfile(path):
                continue
            namespace = {}
            with open(path) as f:
                exec(f.read(), namespace)
            ref = References.for_assignment(assignment, trusted=True, compute=torch_answer)
            results = judge({name: LiveSubmission(namespace) for name in names if name in namespace}, ref)
            failed += [r for r in results.values() if r.score < r.max_score]
    cell_figures(failed[0])   # matplotlib's import and font cache: once per grading worker
    for run in (1, 2):
        wall, cpu = time.perf_counter(), time.process_time()
        outputs = [out for result in failed for out in cell_figures(result)]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sizes = [len(base64.b64decode(o["data"]["image/png"])) for o in outputs]
        print(f"run {run}: {len(failed)} failed cells, {len(outputs)} pictures: "
              f"{1000 * wall / len(failed):.0f} ms wall, {1000 * cpu / len(failed):.0f} ms CPU per failed cell; "
              f"PNG {min(sizes) // 1024}-{max(sizes) // 1024} KB")


if __name__ == "__main__":
    main()
