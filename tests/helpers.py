"""Helpers shared by the kit's tests (test modules import these, never each other)."""
import os
import shutil
import subprocess
import sys

import nbformat

from grader.engine.bank import References
from grader.instructor.demo import REPO
from grader.instructor.notebook import solution_code

COHORT = os.path.join(REPO, "demo", "cohort")          # the demo students
HOSTILE = os.path.join(REPO, "tests", "hostile")       # the hostile and broken submissions

# README's student set-up: nbgrader's instructor tools (Create Assignment, Formgrader, Course
# List) off; the Assignment List and Validate stay. `jupyter server extension disable --user`
# refuses extensions enabled at another level (and exits 0), so the server's part is the file
# README's `--sys-prefix` commands amount to, at the user level.
STUDENT_DISABLED_LABEXTENSIONS = ["@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                                  "@jupyter/nbgrader:course-list"]
STUDENT_DISABLED_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader",
                                      "nbgrader.server_extensions.course_list"]
STUDENT_SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": dict.fromkeys(STUDENT_DISABLED_SERVER_EXTENSIONS,
                                                                             False)}}


def source_notebook(assignment):
    return nbformat.read(os.path.join(REPO, "source", assignment, f"{assignment}.ipynb"), as_version=4)


def solution_namespace(assignment):
    """The instructor's solution cells of `assignment`, executed: {name: object}."""
    namespace = {}
    exec("import numpy as np\n" + solution_code(source_notebook(assignment)), namespace)
    return namespace


def trusted_references(assignment):
    """The `ref` of the trusted grader: the bank, and torch for what it lacks."""
    from grader import reference
    return References.for_assignment(assignment, compute=reference.answer)


def judge_mistakes(assignment, ref, inputs=None, student=None):
    """{mistake: its GradeResult} for every catalogued mistake of `assignment`, each judged as
    the solution with that one API wrong, several APIs' mistakes judged together (one per
    API). `student(namespace, mistake)` makes
    the submission (default: a LiveSubmission)."""
    from grader.engine.mistakes import CATALOGUE
    from grader.engine.runner import judge
    from grader.engine.submission import LiveSubmission
    from grader.exercises import ASSIGNMENTS
    student = student or (lambda namespace, mistake: LiveSubmission(namespace))
    solution = solution_namespace(assignment)
    pending = {n: list(CATALOGUE.get(n, [])) for n in ASSIGNMENTS[assignment]}
    results = {}
    while any(pending.values()):
        batch = {n: pending[n].pop(0) for n in pending if pending[n]}
        students = {n: student(dict(solution, **{n: m.implementation}), m) for n, m in batch.items()}
        results.update({batch[n]: result for n, result in judge(students, ref, inputs=inputs).items()})
    return results


def cell_outputs_text(root, assignment, student):
    """{grade_id: all text output} of a student's autograded notebook."""
    nb = nbformat.read(os.path.join(root, "autograded", student, assignment, f"{assignment}.ipynb"), as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id"): "".join(
        o.get("text", "") + o.get("evalue", "") for o in c.get("outputs", [])) for c in nb.cells}


IGNORED = shutil.ignore_patterns("autograded", "feedback", "reports", "logs")


def ungraded_copy(graded, dest, assignment, keep=None):
    """The graded course copied to `dest` as it was before autograding `assignment` (its
    submissions removed from the gradebook; other folders' grading outputs left out)."""
    from nbgrader.api import Gradebook
    shutil.copytree(graded, dest, ignore=IGNORED)
    submitted = os.path.join(dest, "submitted")
    for student in os.listdir(submitted) if os.path.isdir(submitted) else []:
        if keep is not None and student not in keep:
            shutil.rmtree(os.path.join(dest, "submitted", student))
    with Gradebook(f"sqlite:///{os.path.join(dest, 'gradebook.db')}", "dl-course") as gb:
        for submission in gb.assignment_submissions(assignment):
            gb.remove_submission(assignment, submission.student.id)
    return str(dest)


def autograde(root, *args, **popen):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    return subprocess.run([sys.executable, "-m", "grader", "autograde", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600, **popen)
