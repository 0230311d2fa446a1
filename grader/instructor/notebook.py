"""Reading and filling a notebook's solution cells: used to build demo and bench submissions
and by the tests."""
import ast

from grader.grading.cells import solution_cells


def defined_names(source: str) -> list[str]:
    """Top-level function and class names defined by some Python source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


def solution_code(nb: dict) -> str:
    """The instructor's solutions: all solution cells with the markers removed."""
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    return "\n\n".join("\n".join(line for line in c.source.splitlines() if line.strip() not in markers)
                       for c in solution_cells(nb))


def fill_solutions(nb: dict, definitions: dict[str, str], preamble: list | tuple = ()) -> dict:
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


def top_level_definitions(source: str) -> dict[str, str]:
    """{name: source} of the top-level functions and classes in a Python file's source."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            out[node.name] = "\n".join(lines[start:node.end_lineno])
    return out
