"""nbgrader's cell metadata and error outputs, read the same way by the pipeline, the
instructor's tools and the tests."""

# Error outputs (their `ename`) that say a cell did not run to the end. The pipeline
# (grader.grading.pipeline.ExecuteSurvivingDeath) writes the first four; the class report
# (grader.instructor.report) counts them. The names are nbclient's exception names.
NOT_RUN = "NotRun"                    # a later cell, not run after the kernel died or the notebook ran out of time
KERNEL_DIED = "DeadKernelError"       # the kernel died in this cell
CELL_TIMED_OUT = "CellTimeoutError"   # the cell ran past its time limit
LIMIT_EXCEEDED = "LimitExceeded"      # the kernel went over one of its limits (grader.grading.limits) in this cell
INTERRUPTED = "KeyboardInterrupt"     # nbgrader interrupted the cell at its time limit


def nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_graded_test_cell(cell: dict) -> bool:
    """An autograded test cell: graded, and not a solution the student writes."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def graded_test_cells(nb: dict) -> dict:
    """{grade_id: cell} of the autograded test cells."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if is_graded_test_cell(c)}


def solution_cells(nb: dict) -> list:
    return [c for c in nb.cells if nbgrader_meta(c).get("solution")]
