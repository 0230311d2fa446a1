"""The demo: the whole instructor -> student -> grader -> TA path on the shipped cohort.

In a fresh course folder (demo/course/, rebuilt on each run so no real gradebook is ever
touched) it copies source/ and nbgrader_config.py, runs `nbgrader generate_assignment`,
turns demo/cohort/ into submissions, autogrades them and writes their feedback with the kit's
`autograde` (nbgrader's converters, in parallel: grader/instructor/autograde.py), prints each student's
scores and named mistakes, and writes the class report (grader.instructor.report) of each assignment.
"""
import os
import shutil
import subprocess
import sys
import time

from grader.engine.findings import Finding
from grader.engine.summary import CellSummary
from grader.exercises import ASSIGNMENTS
from grader.instructor.autograde import autograde
from grader.instructor.cohort import build_submissions
from grader.instructor.report import write_report

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def nbgrader(root: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the nbgrader command line in course folder `root`; returns the CompletedProcess."""
    return run_module(root, "nbgrader", *args, check=check)


def run_module(root: str, module: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run `python -m module args` (nbgrader, or the kit's own commands) in folder `root`."""
    env = dict(os.environ)
    # nbgrader runs `alembic` from PATH: make this interpreter's scripts folder visible.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=root, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


# Marks a folder made by the kit (make_course, the bench): the only kind of folder it will
# ever delete.
MARKER = ".grader-demo-course"


class DemoError(Exception):
    pass


def fresh_folder(root: str, made_by: str = "`python -m grader demo`") -> None:
    """An empty folder at `root`, marked as made by the kit.

    An existing folder is replaced only if it is empty or holds MARKER: pointing the demo or
    the bench at a real course or a repository must never delete it."""
    if os.path.exists(root) and os.listdir(root):
        if not os.path.isfile(os.path.join(root, MARKER)):
            raise DemoError(f"refusing to use {root}: it is not empty and was not made by the kit's "
                            "demo or bench (choose a new folder, or delete it yourself)")
        shutil.rmtree(root)
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, MARKER), "w") as f:
        f.write(f"Made by {made_by}; replaced on each run.\n")


def make_course(root: str, source_root: str = REPO) -> None:
    """A fresh course folder (see fresh_folder) at `root` with the course's source/ and
    nbgrader_config.py, and a new course secret outside it (secret_path)."""
    fresh_folder(root)
    shutil.copytree(os.path.join(source_root, "source"), os.path.join(root, "source"))
    shutil.copy(os.path.join(source_root, "nbgrader_config.py"), root)
    with open(os.path.join(root, "nbgrader_config.py"), "a") as f:
        f.write(f"\n# This throw-away course's secret (made by the kit), outside the course folder.\n"
                f"c.CourseSecret.path = {secret_path(root)!r}\n")
    from traitlets.config import Config
    from grader.grading.secret import CourseSecret
    config = Config({"CourseDirectory": {"root": root}, "CourseSecret": {"path": secret_path(root)}})
    CourseSecret(config=config).create(rotate=True)


def secret_path(root):
    """Where a throw-away course keeps its secret: beside its folder, `.<folder>.secret`."""
    root = os.path.abspath(root)
    return os.path.join(os.path.dirname(root), f".{os.path.basename(root)}.secret")


def scores(root: str, assignment: str, url: str | None = None) -> dict[str, dict[str, float]]:
    """{student: {grade_id: score}} from the course's gradebook (or the one at `url`)."""
    from nbgrader.api import Gradebook
    with Gradebook(url or f"sqlite:///{os.path.join(root, 'gradebook.db')}") as gb:
        return {s.student.id: {g.name: g.score for nb in s.notebooks for g in nb.grades}
                for s in gb.assignment_submissions(assignment)}


def named_mistakes(root: str, assignment: str, student: str) -> list[Finding]:
    """The known mistakes named in a student's autograded notebook, cell by cell, in order
    (read from the cells' grader summaries)."""
    import nbformat
    path = os.path.join(root, "autograded", student, assignment, f"{assignment}.ipynb")
    nb = nbformat.read(path, as_version=4)
    return [finding for cell in nb.cells if "grader" in cell.get("metadata", {})
            for finding in CellSummary.from_json(cell.metadata["grader"]).mistakes]


def main(root: str | None = None) -> int:
    root = os.path.abspath(root or os.path.join(REPO, "demo", "course"))
    cohort = os.path.join(REPO, "demo", "cohort")
    make_course(root)
    print(f"Demo course in {root}")
    reports = []
    for assignment in ASSIGNMENTS:
        nbgrader(root, "generate_assignment", assignment, "--force")
        students = build_submissions(root, cohort, assignment)
        if not students:
            continue
        start = time.monotonic()
        run = autograde(root, assignment, jobs=os.cpu_count() or 1, force=True, feedback=True)
        seconds = time.monotonic() - start
        if run.interrupted:
            raise DemoError("interrupted")
        if run.failed:
            raise DemoError(f"{assignment}: could not grade {', '.join(r.student for r in run.failed)}: "
                            + "; ".join(r.reason for r in run.failed))
        print(f"\n== {assignment}: {len(students)} submissions autograded, with feedback, in {seconds:.1f} s "
              f"({seconds / len(students):.1f} s per submission, {os.cpu_count() or 1} at a time)")
        table = scores(root, assignment)
        names = list(ASSIGNMENTS[assignment])
        widths = [max(14, len(n) + 2) for n in names]  # as wide as the name: columns stay apart
        print(f"{'student':10}" + "".join(f"{n:>{w}}" for n, w in zip(names, widths)) + f"{'total':>8}")
        for student in students:
            row = table.get(student, {})
            cells = [row.get(f"test_{n}") for n in names]
            print(f"{student:10}" + "".join(f"{'-' if c is None else format(c, 'g'):>{w}}"
                                            for c, w in zip(cells, widths))
                  + f"{sum(c or 0 for c in cells):>8g}")
        for student in students:
            for finding in dict.fromkeys(named_mistakes(root, assignment, student)):
                print(f"  {student}: {finding.line()}")
        reports += write_report(root, assignment)
    print(f"\nFeedback (HTML, one per student): {os.path.join(root, 'feedback')}")
    print("Class reports and gradebook CSVs:\n" + "\n".join(f"  {path}" for path in reports))
    return 0
