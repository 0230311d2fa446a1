"""Shared fixtures: a course folder with the release generated (and the demo cohort autograded
in it). Shared helpers are in tests/helpers.py (test modules never import each other).

Test tiers: `make test-fast` runs `pytest -m "not slow"`: the unit tests of the engine, the
suites and the catalogue. A test that runs nbgrader, JupyterLab, Chromium or a fresh venv is
marked `slow`; one that uses the nbgrader course fixtures without the mark stops the run."""
import os

import pytest

from grader.exercises import ASSIGNMENTS
from grader.instructor.cohort import build_submissions
from grader.instructor.demo import make_course, nbgrader
from tests.helpers import COHORT

NBGRADER_FIXTURES = {"course", "graded"}


def pytest_collection_modifyitems(config, items):
    unmarked = [item.nodeid for item in items if NBGRADER_FIXTURES & set(getattr(item, "fixturenames", ()))
                and item.get_closest_marker("slow") is None]
    if unmarked:
        raise pytest.UsageError("these tests run nbgrader but are not marked slow: " + ", ".join(unmarked))


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A course folder (source/, nbgrader_config.py) with every assignment generated. Cells
    time out sooner than in a real course, so the hostile tests' endless loops cost less: a
    student's cell after 25 s, a graded test cell after 90 s (its grade() limits calls by CPU time;
    90 s of wall-clock time leaves a cell with 10 s of time-outs room for a machine 9 times busy)."""
    root = str(tmp_path_factory.mktemp("course"))
    make_course(root)
    with open(os.path.join(root, "nbgrader_config.py"), "a") as f:
        f.write("\nc.Execute.timeout = 25\nc.ExecuteSurvivingDeath.graded_cell_timeout = 90\n"
                "c.ExecuteSurvivingDeath.responsive_timeout = 5\n")
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
