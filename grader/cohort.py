"""Turn a cohort folder into nbgrader submissions.

A cohort is one folder per student, holding `<assignment>.py`: the code that student wrote.
Each top-level function or class goes into the solution cell that defines that name in the
released notebook (names the student did not write keep the stub); the student's imports
and helpers go into the first solution cell, as a student would put them. A file may also set
`CELL_TAGS = {"test_sigmoid": ["skip-execution"]}` to tag cells as a student could in
JupyterLab, and `EXPECTED_SCORES = {"test_sigmoid": 5, ...}`: what the kit must award (the
tests hold the kit to it). The result is `submitted/<student>/<assignment>/<assignment>.ipynb`.
"""
import ast
import os

import nbformat

from grader.notebook import fill_solutions, top_level_definitions, nbgrader_meta

COHORT_SETTINGS = ("CELL_TAGS", "EXPECTED_SCORES")


def student_notebook(release_nb, student_source):
    """The released notebook as this student would submit it."""
    nb = nbformat.from_dict(release_nb)
    fill_solutions(nb, top_level_definitions(student_source), preamble=helper_code(student_source))
    for grade_id, tags in cohort_setting(student_source, "CELL_TAGS", {}).items():
        for cell in nb.cells:
            if nbgrader_meta(cell).get("grade_id") == grade_id:
                cell.metadata["tags"] = list(tags)
    return nb


def build_submissions(root, cohort_dir, assignment):
    """Write every cohort member's submission of `assignment` under root/submitted/; returns
    the student ids written."""
    release = nbformat.read(os.path.join(root, "release", assignment, f"{assignment}.ipynb"), as_version=4)
    written = []
    for student in sorted(os.listdir(cohort_dir)):
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
