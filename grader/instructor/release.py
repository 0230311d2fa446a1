"""`python -m grader release` (run in the course root): release/, and all that is made from the suites.

A graded cell's points are written once, in its suite's `@graded` marks (grader.suites.cell_points).
This command
1. writes them into the source notebooks' test cells (nbgrader's `points` metadata) where
   they differ,
2. runs `nbgrader generate_assignment` for every assignment (release/ from source/),
3. rewrites the Points section of the course's README.md, between its two markers, from the
   suites (a README without the markers is left alone).
tests/test_points.py proves that the notebooks and README agree with the suites.
"""
import os

import nbformat

from grader.exercises import ASSIGNMENTS
from grader.grading.cells import graded_test_cells
from grader.suites import cell_points, graded_checks

BEGIN = "<!-- points: made by `python -m grader release` from grader/suites/ (edit the suites, not this) -->"
END = "<!-- points: end -->"


class ReleaseError(Exception):
    """The course cannot be released as it is (say why, in one line)."""


def points_tables() -> str:
    """README's Points section: each cell's points by category, then every check."""
    cells = ["| assignment | cell | points | by category |", "|---|---|---|---|"]
    checks = ["| cell | check | points | category | what it checks |", "|---|---|---|---|---|"]
    for assignment in ASSIGNMENTS:
        found = graded_checks(assignment)
        for api, points in cell_points(assignment).items():
            mine = [c for c in found if c.api == api]
            by_category = {}   # in the order the suite first uses each category
            for c in mine:
                by_category[c.category] = by_category.get(c.category, 0.0) + c.points
            parts = ", ".join(f"{cat} {pts:g}" for cat, pts in by_category.items())
            cells.append(f"| {assignment} | `test_{api}` | {points:g} | {parts} |")
            checks += [f"| `test_{api}` | `{c.name}` | {c.points:g} | {c.category}{' (public)' * c.public} | "
                       f"{_cell_text(c.description)} |" for c in mine]
    return "\n".join(cells + [""] + checks)


def _cell_text(text):
    return text.replace("|", "\\|")   # a | inside a Markdown table cell


def readme_points(text: str) -> str | None:
    """The generated part of a README's text (between the markers), or None without markers."""
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def write_readme_points(path: str) -> bool:
    """Rewrite the Points section of the README at `path`; False if it has no markers."""
    if not os.path.isfile(path):
        return False
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if readme_points(text) is None:
        return False
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    new = f"{head}{BEGIN}\n{points_tables()}\n{END}{tail}"
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
    return True


def sync_points(root: str) -> list[str]:
    """Give every source notebook's test cells their suite's points; returns the cells changed
    ("assignment/test_name"). Raises ReleaseError for an API name without its test cell."""
    changed = []
    for assignment in ASSIGNMENTS:
        path = os.path.join(root, "source", assignment, f"{assignment}.ipynb")
        if not os.path.isfile(path):
            raise ReleaseError(f"no {os.path.relpath(path, root)}: run this in the course root")
        nb = nbformat.read(path, as_version=4)
        cells = graded_test_cells(nb)
        for api, points in cell_points(assignment).items():
            cell = cells.get(f"test_{api}")
            if cell is None:
                raise ReleaseError(f"source/{assignment}/{assignment}.ipynb has no graded test cell "
                                   f"`test_{api}` (README, \"Adding an exercise\")")
            if cell.metadata.nbgrader.get("points") != points:
                cell.metadata.nbgrader["points"] = int(points) if points == int(points) else points
                changed.append(f"{assignment}/test_{api}")
        if any(c.startswith(f"{assignment}/") for c in changed):
            nbformat.write(nb, path)
    return changed


def main(root: str = ".") -> None:
    from grader.instructor.demo import nbgrader   # the demo's way of running nbgrader's CLI
    for cell in sync_points(root):
        print(f"source/{cell.split('/')[0]}: points of {cell.split('/')[1]} set from the suite")
    for assignment in ASSIGNMENTS:
        nbgrader(root, "generate_assignment", assignment, "--force")
        print(f"release/{assignment} generated from source/{assignment}")
    if write_readme_points(os.path.join(root, "README.md")):
        print("README.md: Points tables made from the suites")
