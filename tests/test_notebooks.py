"""Every notebook's cells other than the graded tests run without error, both as released
(the solution cells are stubs: figures must wait for the student's code, not crash) and with
the instructor's solutions."""
import os
import warnings

import matplotlib
import nbformat
import pytest

from grader.exercises import ASSIGNMENTS
from grader.instructor.demo import REPO
from grader.grading.cells import graded_test_cells

matplotlib.use("Agg")


@pytest.mark.parametrize("folder", ["release", "source"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_cells_run_with_stubs_and_with_solutions(assignment, folder):
    import matplotlib.pyplot as plt
    nb = nbformat.read(os.path.join(REPO, folder, assignment, f"{assignment}.ipynb"), as_version=4)
    tests = [id(c) for c in graded_test_cells(nb).values()]
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # Agg's "cannot show the figure"
        for cell in nb.cells:
            if cell.cell_type == "code" and id(cell) not in tests:
                exec(compile(cell.source, f"<{folder}/{assignment} cell>", "exec"), namespace)
    plt.close("all")
