"""The package's layout holds: no import cycle between its modules (imports inside functions
count too), and each trust level imports only what it may (SPEC.md, "Inside grader/").

The import graph is read from the source with `ast`, so an import placed inside a function to
dodge a cycle at load time is still an edge here."""
import ast
import pathlib
import re

import grader

PACKAGE = pathlib.Path(grader.__file__).parent


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path, modules=None):
    """Every module name an import statement in `path` names, at any depth of the code:
    `import a.b` gives a.b; `from a import b` gives a.b, and a too unless `modules` (the known
    module names) says that a.b is a module."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value))   # importlib.import_module("grader.reference") counts too
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:   # relative: from . import x, from ..engine import y
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.add(full)
                if modules is None or full not in modules:
                    names.add(base)
    return names


def import_graph():
    """{module: the package's modules it imports} over grader/**/*.py.

    `from grader import reference` is an edge to grader.reference, not to grader/__init__:
    importing a submodule runs its parent packages' __init__ too, but that happens for every
    import and they run first, so it is not an edge a cycle can go through."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        graph[name] = {n for n in imported_names(path, modules) if n in modules and n != name}
    return graph


def find_cycle(graph):
    """One cycle as [a, b, ..., a], or None."""
    state = {}   # module -> "open" while on the current path, "done" after

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_the_graph_sees_function_level_imports():
    graph = import_graph()
    assert "grader.instructor.bank" in graph["grader.__main__"]      # imported inside cmd_bank


def test_relative_imports_are_resolved(tmp_path):
    pkg = tmp_path / "grader" / "engine"
    pkg.mkdir(parents=True)
    (pkg / "x.py").write_text("def f():\n    from . import y\n    from ..grading.cells import z\n"
                              "    importlib.import_module('grader.reference')\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "grader"
    try:
        names = imported_names(pkg / "x.py")
    finally:
        PACKAGE = saved
    assert {"grader.engine.y", "grader.grading.cells", "grader.reference"} <= names


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_between_the_packages_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def imports_of(level):
    """{module under grader/<level>/: every name it imports (any depth)}."""
    where = PACKAGE / level
    paths = [where] if where.suffix == ".py" else where.rglob("*.py")
    return {module_name(p): imported_names(p) for p in paths}


def offending(imports, *forbidden):
    return {module: sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))
            for module, names in imports.items()
            if any(n == f or n.startswith(f + ".") for n in names for f in forbidden)}


KERNEL_SIDE = ("engine", "suites", "exercises.py", "__init__.py")   # what the student's kernel runs


def test_the_kernel_side_imports_neither_grading_nor_instructor_nor_torch():
    # The engine, the suites and the registry run in the student's kernel (without torch or
    # nbgrader): they must not need the trusted side.
    imports = {}
    for level in KERNEL_SIDE:
        imports.update(imports_of(level))
    assert "grader.engine.runner" in imports and "grader.suites.losses" in imports
    assert offending(imports, "grader.grading", "grader.instructor", "grader.reference", "grader.pipeline",
                     "grader.sandbox", "torch", "nbgrader") == {}


def test_grading_imports_nothing_from_instructor():
    assert offending(imports_of("grading"), "grader.instructor") == {}


def test_only_reference_imports_torch():
    everywhere = {module_name(p): imported_names(p) for p in PACKAGE.rglob("*.py")}
    assert set(offending(everywhere, "torch")) == {"grader.reference"}


def test_the_readme_layout_table_lists_every_module():
    with open(PACKAGE.parent / "README.md", encoding="utf-8") as f:
        layout = f.read().split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(grader/[^`]*)`", layout))
    missing = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        folder = rel.rsplit("/", 1)[0] + "/"
        if rel in listed or (path.name == "__init__.py" and folder in listed and rel != "grader/suites/__init__.py"):
            continue
        if folder == "grader/suites/" and "grader/suites/<a>.py" in listed and path.name != "__init__.py":
            continue
        missing.append(rel)
    assert missing == [], "add these to README's Layout table"
