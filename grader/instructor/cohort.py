"""Turn a cohort folder into nbgrader submissions.

A cohort is one folder per student, holding `<assignment>.py`: the code that student wrote.
Each top-level function or class goes into the solution cell that defines that name in the
released notebook (names the student did not write keep the stub); the student's imports
and helpers go into the first solution cell, as a student would put them. A file may also set
`CELL_TAGS = {"test_sigmoid": ["skip-execution"]}` to tag cells as a student could in
JupyterLab, and the other edits a student can make to any cell, by grade_id:
`CELL_SOURCE` (replace its source, e.g. with a syntax error or an edited test), `CELL_TYPES`
(e.g. turn a test cell into markdown), `DELETE_CELLS`, `EXTRA_CELLS = [("markdown", "text")]`
(cells the student added at the end), `CELL_NBGRADER` (change a cell's nbgrader metadata, e.g.
make a test cell a solution cell worth 0 points), `PASTE_TWICE` (a cell pasted again right
below itself, as JupyterLab's copy and paste does) and `NEW_CELLS` (cells a student adds:
`{"after": grade_id, "source": ..., "nbgrader": {...}}`); and `EXPECTED_REASONS =
{"test_sigmoid": "text"}`, what a cell's report must say, and `EXPECTED_NOTES = ["text"]`, what
the grader's notes at the top of the notebook must say. The result is
`submitted/<student>/<assignment>/<assignment>.ipynb`.

What the kit must award is one table for the whole cohort, `<cohort>/expected_scores.py`
(`EXPECTED_SCORES = {student: {grade_id: points}}`), read by `expected_scores`: a cell it does
not list is worth full marks if the student's file defines that name, 0 if not (the stub).
The tests hold the kit to the scores, the reasons and the notes.
"""
import ast
import copy
import os

import nbformat

from grader.exercises import ASSIGNMENTS
from grader.grading.cells import nbgrader_meta
from grader.instructor.notebook import fill_solutions, top_level_definitions
from grader.suites import cell_points

COHORT_SETTINGS = ("CELL_TAGS", "CELL_SOURCE", "CELL_TYPES", "DELETE_CELLS", "EXTRA_CELLS", "CELL_NBGRADER",
                   "PASTE_TWICE", "NEW_CELLS", "EXPECTED_REASONS", "EXPECTED_NOTES")
EXPECTED_FILE = "expected_scores.py"   # in a cohort folder: the scores each student must get
NEW_CELL = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell,
            "raw": nbformat.v4.new_raw_cell}


def student_notebook(release_nb: dict, student_source: str) -> nbformat.NotebookNode:
    """The released notebook as this student would submit it."""
    nb = nbformat.from_dict(release_nb)
    fill_solutions(nb, top_level_definitions(student_source), preamble=helper_code(student_source))
    by_id = {nbgrader_meta(c).get("grade_id"): c for c in nb.cells if nbgrader_meta(c).get("grade_id")}
    for grade_id, tags in cohort_setting(student_source, "CELL_TAGS", {}).items():
        by_id[grade_id].metadata["tags"] = list(tags)
    for grade_id, source in cohort_setting(student_source, "CELL_SOURCE", {}).items():
        by_id[grade_id].source = source
    for grade_id, cell_type in cohort_setting(student_source, "CELL_TYPES", {}).items():
        cell = by_id[grade_id]
        cell.cell_type = cell_type
        if cell_type == "markdown":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    for grade_id, changes in cohort_setting(student_source, "CELL_NBGRADER", {}).items():
        by_id[grade_id].metadata.nbgrader.update(changes)
    deleted = set(cohort_setting(student_source, "DELETE_CELLS", []))
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") not in deleted]
    for grade_id in cohort_setting(student_source, "PASTE_TWICE", []):
        _insert_after(nb, grade_id, copy.deepcopy(by_id[grade_id]))
    for new in cohort_setting(student_source, "NEW_CELLS", []):
        cell = nbformat.v4.new_code_cell(new["source"])
        cell.metadata["nbgrader"] = dict(new["nbgrader"])
        _insert_after(nb, new["after"], cell)
    nb.cells += [NEW_CELL[cell_type](source) for cell_type, source in cohort_setting(student_source, "EXTRA_CELLS", [])]
    return nb


def _insert_after(nb, grade_id: str, cell) -> None:
    """Insert `cell` after the (last) cell `grade_id`, with a fresh cell id as JupyterLab gives."""
    cell["id"] = nbformat.v4.new_code_cell()["id"]
    at = max(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)
    nb.cells.insert(at + 1, cell)


def build_submissions(root: str, cohort_dir: str, assignment: str, students=None) -> list[str]:
    """Write every cohort member's submission of `assignment` (or only those of `students`)
    under root/submitted/; returns the student ids written."""
    release = nbformat.read(os.path.join(root, "release", assignment, f"{assignment}.ipynb"), as_version=4)
    written = []
    for student in sorted(os.listdir(cohort_dir)):
        if students is not None and student not in students:
            continue
        src = os.path.join(cohort_dir, student, f"{assignment}.py")
        if not os.path.isfile(src):
            continue
        with open(src) as f:
            nb = student_notebook(release, f.read())
        out_dir = os.path.join(root, "submitted", student, assignment)
        os.makedirs(out_dir, exist_ok=True)
        nbformat.write(nb, os.path.join(out_dir, f"{assignment}.ipynb"))
        written.append(student)
    return written


def helper_code(source: str) -> list[tuple[str | None, str]]:
    """The student's imports and module-level code other than the definitions of API names
    and the cohort settings (helpers are kept whole; `fill_solutions` drops the API definitions)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    keep = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) in COHORT_SETTINGS for t in node.targets):
            continue
        if isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant):
            continue  # a docstring
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        keep.append((getattr(node, "name", None), "\n".join(lines[start:node.end_lineno])))
    return keep


def cohort_setting(source: str, name: str, default: object) -> object:
    """The literal value assigned to `name` at the top level of some Python source."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    return default


def expected_table(cohort_dir: str) -> dict[str, dict[str, float]]:
    """The cohort's table of scores that differ from the default (see expected_scores)."""
    path = os.path.join(cohort_dir, EXPECTED_FILE)
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        table = cohort_setting(f.read(), "EXPECTED_SCORES", {})
    cells = {f"test_{name}" for names in ASSIGNMENTS.values() for name in names}
    unknown = sorted({g for scores in table.values() for g in scores} - cells)
    if unknown:
        raise ValueError(f"{path}: no graded cell is called {', '.join(unknown)}")
    return table


def expected_scores(cohort_dir: str, assignment: str) -> dict[str, dict[str, float]]:
    """{student: {grade_id: points the kit must award}} for every student of the cohort with a
    file for `assignment`: the cohort's table where it lists a cell; otherwise the cell's
    points (its suite's) if the student's file defines the name, 0 if it does not."""
    table, points = expected_table(cohort_dir), cell_points(assignment)
    out = {}
    for student in sorted(os.listdir(cohort_dir)):
        path = os.path.join(cohort_dir, student, f"{assignment}.py")
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            defined = top_level_definitions(f.read())
        listed = table.get(student, {})
        out[student] = {f"test_{name}": float(listed.get(f"test_{name}", full if name in defined else 0.0))
                        for name, full in points.items()}
    return out
