"""A large class for report tests, made in seconds instead of hours of `nbgrader autograde`.

Every student's autograded notebook is a real autograded notebook of the demo cohort whose
graded test cells are swapped, cell by cell, for the same cell from other (randomly chosen)
demo students; the gradebook gets the matching scores through nbgrader's own API. So every
test cell a report reads is one the real pipeline wrote; only the mix is synthetic.
"""
import copy
import json
import os
import random
import shutil
import warnings

import nbformat

from grader.grading.cells import graded_test_cells

# How often each demo student's answer to a cell is picked: mostly right, some known
# mistakes, a few broken ones (time-outs, dead kernels, blanks).
WEIGHTS = {"ada": 6, "ben": 4, "gus": 2, "dee": 3, "eli": 3, "fay": 1, "cy": 1, "hal": 1, "ivy": 1}


def make_class(graded_root, assignment, root, size, seed=0, absent=(), without_notebook=(),
               cell_time_out=()):
    """A course at `root` with `size` students s001... mixed from `graded_root`'s autograded
    demo cohort. `absent` students are in the gradebook without a submission;
    `without_notebook` have gradebook scores but no autograded notebook; the test cell
    `cell_time_out[1]` of student `cell_time_out[0]` is made to look as nbgrader leaves a cell
    stopped at its time limit. Returns {student: {grade_id: the cell's grader summary}}."""
    from nbgrader.api import Gradebook
    from sqlalchemy import text
    from sqlalchemy.exc import SAWarning
    rng = random.Random(seed)
    templates = {s: _load(os.path.join(graded_root, "autograded", s, assignment, f"{assignment}.ipynb"))
                 for s in WEIGHTS}
    base = templates["ada"]
    cells = [(grade_id, cell["metadata"]["nbgrader"]["points"]) for grade_id, cell in graded_test_cells(base).items()]
    if os.path.exists(root):
        shutil.rmtree(root)
    shutil.copytree(os.path.join(graded_root, "release"), os.path.join(root, "release"))
    expected = {}
    # The demo course's gradebook, emptied of students: it keeps the assignment and its graded
    # cells as `nbgrader generate_assignment` recorded them.
    shutil.copy(os.path.join(graded_root, "gradebook.db"), root)
    with Gradebook(f"sqlite:///{os.path.join(root, 'gradebook.db')}", course_id="dl-course") as gb:
        gb.db.execute(text("PRAGMA synchronous = OFF"))   # a throw-away test database: no fsyncs
        for student in gb.students:
            gb.remove_student(student.id)
        for student in absent:
            gb.add_student(student)
        for i in range(1, size + 1):
            student = f"s{i:03d}"
            nb = copy.deepcopy(base)
            mine = graded_test_cells(nb)
            for grade_id, _ in cells:
                pick = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
                mine[grade_id].update(copy.deepcopy(graded_test_cells(templates[pick])[grade_id]))
            if cell_time_out and cell_time_out[0] == student:
                _time_out(mine[cell_time_out[1]])
            expected[student] = {g: mine[g]["metadata"]["grader"] for g, _ in cells}
            if student not in without_notebook:
                path = os.path.join(root, "autograded", student, assignment, f"{assignment}.ipynb")
                os.makedirs(os.path.dirname(path))
                with open(path, "w") as f:
                    json.dump(nb, f)
            gb.add_student(student, first_name=f"First{i}", last_name=f"Last{i}")
            with warnings.catch_warnings():   # nbgrader's add_submission trips SQLAlchemy 2's autoflush warnings
                warnings.simplefilter("ignore", SAWarning)
                submission = gb.add_submission(assignment, student)
            for grade in submission.notebooks[0].grades:
                grade.auto_score = expected[student][grade.name]["score"]
                grade.needs_manual_grade = False
        gb.db.commit()
    return expected


def _time_out(cell):
    """What a test cell looks like after nbgrader stopped it at its time limit (no record)."""
    summary = cell["metadata"]["grader"]
    summary.update(errors=["CellTimeoutError"], recorded=False, score=0.0, mistakes=[], timed_out_calls=0)
    for check in summary["checks"]:
        check["passed"] = False


def _load(path):
    with open(path) as f:
        return nbformat.from_dict(json.load(f))
