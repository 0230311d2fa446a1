"""The students' course environment: requirements-student.txt plus the kit's wheel, no torch.

The test builds the students' wheel (`python -m grader student-wheel`: the kit without
grader/instructor/), makes a fresh venv, installs the wheel (without its dependencies, as README says) and the kernel's packages from requirements-student.txt, and
runs the released notebook's code cells there, in order, as a kernel would, with a demo
student's solutions filled in: the public checks pass, or fail with the readable report.
JupyterLab itself (nbgrader's Validate, how a failed check renders) is tested in the kit's
venv by test_student_lab.py. Cost: ~10 s for the wheel and venv, plus pip downloading
numpy, matplotlib and pytest (~20-50 s).
"""
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import zipfile

import nbformat
import pytest
from packaging.requirements import Requirement

from grader.instructor import student_wheel
from grader.instructor.cohort import student_notebook
from grader.instructor.demo import REPO
from grader.suites import cell_points
from tests.browser import artifact

REQUIREMENTS = os.path.join(REPO, "requirements-student.txt")
# The JupyterLab side of the requirements; the kernel needs the rest.
LAB_PACKAGES = {"jupyterlab", "nbgrader"}

# Runs a notebook's code cells in order in one namespace, like a kernel; prints how each
# graded cell ended and how long it took, then what the environment lacks or provides.
RUN_CELLS = r'''
import json, sys, time
namespace = {"__name__": "__main__"}
for cell in json.load(open(sys.argv[1]))["cells"]:
    if cell["cell_type"] != "code":
        continue
    grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
    start = time.perf_counter()
    try:
        exec(compile("".join(cell["source"]), grade_id or "cell", "exec"), namespace)
        ended = "ok"
    except Exception as exc:
        ended = f"{type(exc).__name__}: {exc}"
    if grade_id.startswith("test_"):
        print(f"<{grade_id}> {time.perf_counter() - start:.3f} s {ended}")
try:
    import torch
    print("torch: importable")
except ImportError:
    print("torch: not installed")
import grader
print("grader:", grader.__file__)
'''


def read_requirements():
    with open(REQUIREMENTS) as f:
        return [Requirement(line) for line in (raw.split("#")[0].strip() for raw in f) if line]


def test_student_requirements_are_the_kits_dependencies_less_torch():
    kit = [Requirement(r) for r in importlib.metadata.requires("dl-grader-kit")]
    expected = {(r.name, r.specifier) for r in kit if r.marker is None and r.name != "torch"}
    assert {(r.name, r.specifier) for r in read_requirements()} == expected


def run(*args, **kwargs):
    proc = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} failed:\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def student_python(tmp_path_factory):
    """The python of a fresh venv holding the kit's wheel and the kernel's requirements."""
    tmp = tmp_path_factory.mktemp("student-env")
    pip = [sys.executable, "-m", "pip"]
    run(sys.executable, "-m", "grader", "student-wheel", "--out", tmp / "dist", cwd=tmp)
    (wheel,) = (tmp / "dist").glob("dl_grader_kit-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", tmp / "venv")
    python = tmp / "venv" / "bin" / "python"
    kernel = [str(r) for r in read_requirements() if r.name not in LAB_PACKAGES]
    run(*pip, "--python", python, "install", "--quiet", *kernel)
    run(*pip, "--python", python, "install", "--quiet", "--no-deps", wheel)
    return python


def run_release_notebook(python, folder, student):
    """The released notebook with demo/cohort/<student>'s code, run in `python`'s environment
    from a student's folder holding only release/<assignment>/; returns stdout lines."""
    release = os.path.join(REPO, "release", "activations")
    nb = nbformat.read(os.path.join(release, "activations.ipynb"), as_version=4)
    with open(os.path.join(REPO, "demo", "cohort", student, "activations.py")) as f:
        nb = student_notebook(nb, f.read())
    work = folder / student / "release" / "activations"
    work.mkdir(parents=True)
    nbformat.write(nb, work / "activations.ipynb")
    (folder / "run_cells.py").write_text(RUN_CELLS)
    env = {"PATH": os.environ["PATH"], "HOME": str(folder), "MPLBACKEND": "Agg",
           "MPLCONFIGDIR": str(folder / "mpl")}   # no PYTHONPATH: nothing from the repo
    proc = run(python, folder / "run_cells.py", "activations.ipynb", cwd=work, env=env, timeout=300)
    assert "Traceback" not in proc.stderr and "grader" not in proc.stderr, proc.stderr
    return proc.stdout.splitlines()


def cell_outcomes(lines):
    """{grade_id: (seconds, how the cell ended)} from run_cells.py's output."""
    out = {}
    for line in lines:
        if line.startswith("<test_"):
            grade_id, seconds, _, ended = line[1:].split(" ", 3)
            out[grade_id[:-1]] = (float(seconds), ended)
    return out


@pytest.mark.slow
def test_release_notebook_checks_pass_without_torch(student_python, tmp_path):
    lines = run_release_notebook(student_python, tmp_path, "ada")
    assert "torch: not installed" in lines
    grader_file = next(line for line in lines if line.startswith("grader:"))
    assert str(student_python.parent.parent) in grader_file, "grader must come from the wheel"
    outcomes = cell_outcomes(lines)
    assert set(outcomes) == {f"test_{name}" for name in cell_points("activations")}
    for grade_id, (seconds, ended) in outcomes.items():
        assert ended == "ok", (grade_id, ended)
        assert seconds < 1.0, f"{grade_id}: the public check took {seconds:.2f} s"
    passed = [line for line in lines if "public self-check passed" in line]
    assert len(passed) == len(outcomes), lines
    with open(artifact("public-check-seconds-student-env.json"), "w") as f:
        json.dump({k: seconds for k, (seconds, _) in outcomes.items()}, f, indent=1)


@pytest.mark.slow
def test_release_notebook_check_fails_readably_without_torch(student_python, tmp_path):
    lines = run_release_notebook(student_python, tmp_path, "dee")   # softmax over axis 0
    outcomes = cell_outcomes(lines)
    assert outcomes["test_softmax"][1] == "CheckFailed: softmax: the public self-check failed"
    assert [outcomes[k][1] for k in ("test_sigmoid", "test_sigmoid_grad", "test_log_softmax")] == ["ok"] * 3
    for grade_id, (_, ended) in outcomes.items():   # dee's other mistakes fail as readably (or pass)
        assert ended in ("ok", f"CheckFailed: {grade_id[5:]}: the public self-check failed"), (grade_id, ended)
    assert any(line.startswith("Likely mistake: normalised over axis 0") for line in lines), lines
    assert "internal grader error" not in "\n".join(lines)


def packages_in(wheel):
    return {os.path.dirname(name) for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}


@pytest.mark.slow
def test_the_students_wheel_leaves_out_the_instructors_tools_and_the_kits_own_keeps_them(tmp_path):
    students = student_wheel.build(str(tmp_path / "students"))
    assert packages_in(students) == {"grader", "grader/engine", "grader/grading", "grader/suites"}
    assert {"grader/bank/activations.npz", "grader/__main__.py"} <= set(zipfile.ZipFile(students).namelist())
    # The instructor's non-editable install (`pip install .`) is built from the same
    # pyproject.toml, without leaving anything out:
    kits = student_wheel.build(str(tmp_path / "kit"), leave_out=())
    assert packages_in(kits) == packages_in(students) | {"grader/instructor"}
    assert "grader/instructor/report.py" in zipfile.ZipFile(kits).namelist()
    # ... and the editable install this test runs in has them
    assert importlib.util.find_spec("grader.instructor.report") is not None
    assert not os.path.exists(os.path.join(REPO, "build")), "the wheel builds leave nothing in the kit"


@pytest.mark.slow
def test_instructor_commands_in_the_students_environment_say_so_in_one_line(student_python, tmp_path):
    proc = subprocess.run([student_python, "-m", "grader", "demo", "--root", str(tmp_path / "demo")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: `python -m grader demo` is an instructor's tool, which the students' wheel leaves out; "
        "install the kit itself (pip install -e '.[grading]')"]
    assert not (tmp_path / "demo").exists()


def test_a_self_check_loads_no_third_party_pytest_plugin():
    """JupyterLab brings anyio, whose pytest plugin cost ~1 s on a kernel's first self-check
    (and a plugin like pytest-randomly would reorder cases): the runner loads none."""
    code = ("import sys, numpy as np\nfrom grader import check\n"
            "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
            "check('sigmoid')\nprint(sorted(m for m in sys.modules if m.startswith('anyio')))")
    proc = run(sys.executable, "-c", code, cwd=REPO)
    assert proc.stdout.splitlines()[-1] == "[]", proc.stdout
    assert "public self-check passed" in proc.stdout
