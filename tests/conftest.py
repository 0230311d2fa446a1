"""Shared fixtures: a course folder with the release generated (and the demo cohort autograded
in it), and the instructor's solutions."""
import os

import nbformat
import pytest

from grader.exercises import ASSIGNMENTS
from grader.instructor.cohort import build_submissions
from grader.instructor.demo import REPO, make_course, nbgrader
from grader.instructor.notebook import solution_code

COHORT = os.path.join(REPO, "demo", "cohort")


def source_notebook(assignment):
    return nbformat.read(os.path.join(REPO, "source", assignment, f"{assignment}.ipynb"), as_version=4)


def solution_namespace(assignment):
    """The instructor's solution cells of `assignment`, executed: {name: object}."""
    namespace = {}
    exec("import numpy as np\n" + solution_code(source_notebook(assignment)), namespace)
    return namespace


COHORT = os.path.join(REPO, "demo", "cohort")


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A course folder (source/, nbgrader_config.py) with every assignment generated. Cells
    time out sooner than in a real course (but after grade()'s 20 s budget), so the hostile tests' endless loops cost less."""
    root = str(tmp_path_factory.mktemp("course"))
    make_course(root)
    with open(os.path.join(root, "nbgrader_config.py"), "a") as f:
        f.write("\nc.Execute.timeout = 25\nc.ExecuteSurvivingDeath.responsive_timeout = 5\n")
    for assignment in ASSIGNMENTS:
        nbgrader(root, "generate_assignment", assignment, "--force")
    return root


@pytest.fixture(scope="session")
def graded(course):
    """The demo cohort autograded by `nbgrader autograde`, with feedback generated (shared by
    the end-to-end and report tests: autograding is the slow part of the suite)."""
    for assignment in ASSIGNMENTS:
        if build_submissions(course, COHORT, assignment):
            nbgrader(course, "autograde", assignment, "--force")
            nbgrader(course, "generate_feedback", assignment, "--force")
    return course


def cell_outputs_text(root, assignment, student):
    """{grade_id: all text output} of a student's autograded notebook."""
    nb = nbformat.read(os.path.join(root, "autograded", student, assignment, f"{assignment}.ipynb"), as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id"): "".join(
        o.get("text", "") + o.get("evalue", "") for o in c.get("outputs", [])) for c in nb.cells}
