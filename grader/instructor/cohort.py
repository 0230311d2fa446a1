"""Turn a cohort folder into nbgrader submissions.

A cohort is one folder per student, holding `<assignment>.py`: the code that student wrote.
Each top-level function or class goes into the solution cell that defines that name in the
released notebook (names the student did not write keep the stub); the student's imports
and helpers go into the first solution cell, as a student would put them. A file may also set
`CELL_TAGS = {"test_sigmoid": ["skip-execution"]}` to tag cells as a student could in
JupyterLab, and the other edits a student can make to any cell, by grade_id:
`CELL_SOURCE` (replace its source, e.g. with a syntax error or an edited test), `CELL_TYPES`
(e.g. turn a test cell into markdown), `DELETE_CELLS`, and `EXTRA_CELLS = [("markdown", "text")]`
(cells the student added at the end). `EXPECTED_SCORES = {"test_sigmoid":
5, ...}` is what the kit must award, and `EXPECTED_REASONS = {"test_sigmoid": "text"}` what a
cell's report must say (the tests hold the kit to both). The result is `submitted/<student>/<assignment>/<assignment>.ipynb`.
"""
import ast
import os

import nbformat

from grader.grading.cells import nbgrader_meta
from grader.instructor.notebook import fill_solutions, top_level_definitions

COHORT_SETTINGS = ("CELL_TAGS", "CELL_SOURCE", "CELL_TYPES", "DELETE_CELLS", "EXTRA_CELLS",
                   "EXPECTED_SCORES", "EXPECTED_REASONS")
NEW_CELL = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell,
            "raw": nbformat.v4.new_raw_cell}


def student_notebook(release_nb, student_source):
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
    deleted = set(cohort_setting(student_source, "DELETE_CELLS", []))
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") not in deleted]
    nb.cells += [NEW_CELL[cell_type](source) for cell_type, source in cohort_setting(student_source, "EXTRA_CELLS", [])]
    return nb


def build_submissions(root, cohort_dir, assignment, students=None):
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


def helper_code(source):
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


def cohort_setting(source, name, default):
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    return default
