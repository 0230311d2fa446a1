"""`python -m grader student-wheel`: the students' wheel, without grader/instructor/.

Students need the engine, the suites, the bank, the registry and the grading side's
preprocessors (nbgrader's Validate runs them); never the instructor's tools (bank building,
parallel autograde, reports, the demo). The wheel is built by pip from a fresh copy of the kit's
pyproject.toml, README.md and grader/ that leaves instructor/ out: setuptools includes the
packages it finds (pyproject.toml, [tool.setuptools.packages.find]), so the instructor's own
installs (`pip install -e .`, `pip install .`) keep every package, and nothing is written into
the kit's folder (an old build/ there cannot slip the left-out files back in).
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

KIT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEFT_OUT = "instructor"   # grader/<this>/ is not in the students' wheel


class WheelError(Exception):
    """The wheel cannot be built here (say why, in one line)."""


def build(out_dir: str, kit: str = KIT, leave_out: tuple[str, ...] = (LEFT_OUT,)) -> str:
    """Build the kit's wheel without grader/<leave_out>/ into `out_dir`; returns its path."""
    if not os.path.isfile(os.path.join(kit, "pyproject.toml")):
        raise WheelError(f"no pyproject.toml in {kit}: build the students' wheel from the kit's own folder "
                         "(a git clone, installed with `pip install -e .`)")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-wheel-") as tmp:
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(os.path.join(kit, name), tmp)
        shutil.copytree(os.path.join(kit, "grader"), os.path.join(tmp, "grader"),
                        ignore=shutil.ignore_patterns("__pycache__", *leave_out))
        # With the kit's own setuptools when it has one (an isolated build downloads it: ~10 s).
        isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation,
                               "-w", os.path.join(tmp, "dist"), tmp], capture_output=True, text=True)
        if proc.returncode != 0:
            raise WheelError(f"pip wheel failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
        (wheel,) = os.listdir(os.path.join(tmp, "dist"))
        target = os.path.join(out_dir, wheel)
        shutil.copy(os.path.join(tmp, "dist", wheel), target)
    return target


def main(out_dir: str) -> None:
    print(f"students' wheel (without grader/{LEFT_OUT}/): {build(out_dir)}")
