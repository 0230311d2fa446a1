"""Small helpers for nbgrader notebooks: make cells, find graded cells, read and fill the
solution cells. Used to author notebooks, to build demo submissions and by the tests."""
import ast

import nbformat


def markdown(source):
    return nbformat.v4.new_markdown_cell(source.strip())


def code(source, grade_id=None, locked=False):
    """A plain code cell; with `grade_id` and `locked`, a read-only nbgrader cell."""
    cell = nbformat.v4.new_code_cell(source.strip())
    if grade_id:
        cell.metadata.nbgrader = _meta(grade_id, locked=locked)
    return cell


def solution(source, grade_id):
    return _with(nbformat.v4.new_code_cell(source.strip()), _meta(grade_id, solution=True))


def test(source, grade_id, points):
    return _with(nbformat.v4.new_code_cell(source.strip()),
                 _meta(grade_id, grade=True, locked=True, points=points))


def _meta(grade_id, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _with(cell, meta):
    cell.metadata.nbgrader = meta
    return cell


def new_notebook(cells):
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata.kernelspec = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata.language_info = {"name": "python"}
    return nb


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_test_cells(nb):
    """{grade_id: cell} of the autograded test cells."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells
            if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}


def solution_cells(nb):
    return [c for c in nb.cells if nbgrader_meta(c).get("solution")]


def defined_names(source):
    """Top-level function and class names defined by some Python source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


def solution_code(nb):
    """The instructor's solutions: all solution cells with the markers removed."""
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    return "\n\n".join("\n".join(line for line in c.source.splitlines() if line.strip() not in markers)
                       for c in solution_cells(nb))


def fill_solutions(nb, definitions, preamble=()):
    """Put a student's code into the solution cells: each solution cell gets, for every name it
    defines in the source notebook, the student's top-level definition of that name.

    `definitions` is {name: source}; a name the student did not write keeps the stub.
    `preamble` is [(name or None, source)] of other module-level code (imports, helpers):
    it goes first in the first solution cell, except definitions of names that have a cell."""
    cells = solution_cells(nb)
    cell_names = {n for cell in cells for n in defined_names(cell.source)}
    for i, cell in enumerate(cells):
        names = defined_names(cell.source)
        written = [definitions[n] for n in names if n in definitions]
        if i == 0:
            written = [src for name, src in preamble if name not in cell_names] + written
        if written:
            cell.source = "\n\n\n".join(written)
    return nb


def top_level_definitions(source):
    """{name: source} of the top-level functions and classes in a Python file's source."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            out[node.name] = "\n".join(lines[start:node.end_lineno])
    return out
