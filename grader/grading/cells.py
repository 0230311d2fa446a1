"""nbgrader's cell metadata, read the same way by the pipeline, the instructor's tools and the
tests."""


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_test_cells(nb):
    """{grade_id: cell} of the autograded test cells."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells
            if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}


def solution_cells(nb):
    return [c for c in nb.cells if nbgrader_meta(c).get("solution")]
