"""Warm kernels (grader/grading/warm.py, template.py), through the real `nbgrader autograde`:
one grading process forks every student's kernel from the same warm template, and nothing a
student does reaches the next one; outputs equal those of cold kernels.

The attacker (graded between two right students by the same template) keeps full marks for
its right answers, then, in a cell it added at the end: monkeypatches numpy, matplotlib and
builtins; plants an IPython start-up file and a matplotlibrc in /tmp (both would change the next
kernel if they survived), files in its own folder and a System V message queue; starts a
background thread; and double-forks a process that outlives its kernel to kill every process
started after it (the next student's kernel) and plant the files again. The next student, a
right solution with a probe cell at the end, must keep full marks and see none of it. A
student who kills the template keeps its points too, and the student after it is graded by a
new one.
"""
import json
import os
import shutil

import nbformat
import pytest

from grader.engine.plan import PLAN_FILE
from grader.instructor.autograde import DONE_MARKER
from grader.instructor.cohort import build_submissions
from grader.instructor.demo import nbgrader, scores
from grader.suites import cell_points
from tests.helpers import COHORT, autograde, cell_outputs_text, ungraded_copy

pytestmark = pytest.mark.slow   # the real nbgrader and kernels

ATTACK = r'''
import builtins, ctypes, os, signal, sys, threading, time
import matplotlib, matplotlib.pyplot as plt
import numpy as np

np.exp = lambda x, *a, **k: np.zeros_like(np.asarray(x, dtype=float))
np.allclose = lambda *a, **k: True
builtins.abs = lambda x: 0
builtins.print_ = print
matplotlib.rcParams["lines.linewidth"] = 99
plt.plot = None
POISON = "import numpy as np\nnp.exp = lambda x, *a, **k: 0 * np.asarray(x, dtype=float)\n"

def plant():
    os.makedirs("/tmp/ipython/profile_default/startup", exist_ok=True)
    with open("/tmp/ipython/profile_default/startup/00-poison.py", "w") as f:
        f.write(POISON)
    with open("/tmp/matplotlib/matplotlibrc", "w") as f:
        f.write("lines.linewidth: 99\n")
    with open("/tmp/left-behind.txt", "w") as f:
        f.write("attacker")
    with open("left-behind.txt", "w") as f:   # in its own (the sandbox's only writable) folder
        f.write("attacker")

plant()
queue = ctypes.CDLL(None).msgget(0x5EED, 0o1666)   # IPC_CREAT | 0666: outlives its process
stop = threading.Event()
threading.Thread(target=lambda: [plant() or time.sleep(0.01) for _ in iter(stop.is_set, True)], daemon=True).start()

if os.fork() == 0:                  # a double-forked process, in a session of its own
    os.setsid()
    if os.fork() == 0:
        born = {p for p in os.listdir("/proc") if p.isdigit()}
        while True:
            for p in os.listdir("/proc"):
                if p.isdigit() and p not in born:
                    try:
                        os.kill(int(p), signal.SIGKILL)
                    except OSError:
                        pass
            try:
                plant()
            except OSError:
                pass
            time.sleep(0.005)
    os._exit(0)
time.sleep(0.3)
lingering = [p for p in os.listdir("/proc") if p.isdigit() and int(p) > os.getpid()]
print("ATTACK", len(lingering) >= 1, os.path.exists("/tmp/ipython/profile_default/startup/00-poison.py"),
      threading.active_count() >= 2, queue >= 0)
'''

PROBE = r'''
import builtins, gc, json, os, sys
import matplotlib
import numpy as np
procs = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                procs[p] = f.read().replace(b"\0", b" ").decode()[:80]
        except OSError:
            pass
with open("/proc/sysvipc/msg") as f:
    queues = len(f.readlines()) - 1
print("PROBE " + json.dumps({
    "exp_type": type(np.exp).__name__, "abs_is_builtin": builtins.abs is abs and type(abs).__name__ == "builtin_function_or_method",
    "linewidth": matplotlib.rcParams["lines.linewidth"], "plot": callable(__import__("matplotlib.pyplot").pyplot.plot),
    "tmp": sorted(os.listdir("/tmp")),
    "poison": os.path.exists("/tmp/ipython/profile_default/startup/00-poison.py"),
    "matplotlibrc": os.path.exists("/tmp/matplotlib/matplotlibrc"),
    "folder": sorted(os.listdir(".")), "queues": queues, "frozen": gc.get_freeze_count(), "others": sorted(
        cmd for p, cmd in procs.items() if int(p) not in (1, os.getpid()) and "grader.grading.template" not in cmd),
}))
'''


# Kills the template it was forked from (same user: it may), leaving a process behind.
KILLER = r'''
import os, signal, time
if os.fork() == 0:
    os.setsid()
    time.sleep(3600)
os.kill(os.getppid(), signal.SIGKILL)
time.sleep(0.5)
print("KILLED", os.getppid())
'''


def cohort(folder):
    """Right solutions (ada's), in this order: w1_right; w2_attacker, then w3_probe (with a
    probe cell at the end); w4_killer, which kills the template, then w5_probe."""
    with open(os.path.join(COHORT, "ada", "activations.py")) as f:
        right = f.read()
    for student, extra in (("w1_right", ""), ("w2_attacker", ATTACK), ("w3_probe", PROBE), ("w4_killer", KILLER),
                           ("w5_probe", PROBE)):
        os.makedirs(os.path.join(folder, student))
        setting = f"\nEXTRA_CELLS = [('code', {extra!r})]\n" if extra else ""
        with open(os.path.join(folder, student, "activations.py"), "w") as f:
            f.write(right + setting)


def probe_output(root, student):
    nb = nbformat.read(os.path.join(root, "autograded", student, "activations", "activations.ipynb"), as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    return text


@pytest.fixture(scope="module", params=["nbgrader", "grader"])
def warm_graded(request, graded, tmp_path_factory):
    """The cohort graded by one process: `nbgrader autograde`, or the one worker of `python -m
    grader autograde --jobs 1`, which takes the sandbox its front end started ahead."""
    root = ungraded_copy(graded, tmp_path_factory.mktemp("warm") / "course", "activations", keep=[])
    # Without cgroups (which kill a kernel's leftover processes from outside): the template's
    # own sweep of its PID namespace is what must stop the lingering process.
    with open(os.path.join(root, "nbgrader_config.py"), "a") as f:
        f.write("\nc.SandboxedKernelManager.cgroups = False\n")
    folder = str(tmp_path_factory.mktemp("cohort"))
    cohort(folder)
    students = build_submissions(root, folder, "activations")
    if request.param == "nbgrader":
        proc = nbgrader(root, "autograde", "activations", check=False)
    else:
        proc = autograde(root, "activations", "--jobs", "1")
    return root, students, proc, request.param


def graded_order(root, students, proc, how):
    """The students in the order they were graded."""
    if how == "nbgrader":
        return sorted(students, key=lambda s: proc.stderr.find(f"Creating/updating student with ID '{s}'"))
    return sorted(students, key=lambda s: json.load(open(os.path.join(root, "autograded", s, "activations",
                                                                        DONE_MARKER)))["graded_at"])


def test_an_attacker_graded_by_the_same_warm_template_leaves_nothing_for_the_next_student(warm_graded):
    root, students, proc, how = warm_graded
    assert students == ["w1_right", "w2_attacker", "w3_probe", "w4_killer", "w5_probe"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert graded_order(root, students, proc, how) == students, "graded in this order, by one process"
    got = scores(root, "activations")
    full = sum(cell_points("activations").values())
    for student in students:   # right answers: full marks, the attacker too
        assert sum(got[student].values()) == full, (student, got[student])
    # The attacks were live in the attacker's kernel ...
    assert "ATTACK True True True True" in probe_output(root, "w2_attacker"), probe_output(root, "w2_attacker")
    # ... and the next kernel forked from the same template saw none of them.
    seen = probed(root, "w3_probe")
    assert seen["exp_type"] == "ufunc" and seen["abs_is_builtin"] and seen["plot"], seen
    assert seen["linewidth"] == 1.5, seen
    assert not seen["poison"] and not seen["matplotlibrc"] and "left-behind.txt" not in seen["tmp"], seen
    assert seen["folder"] == sorted([PLAN_FILE, "activations.ipynb"]), seen   # its own notebook and plan only
    assert seen["queues"] == 0 and seen["others"] == [], seen
    # The template's imports reach each kernel frozen (gc.freeze: its collections skip them).
    assert seen["frozen"] > 10_000, seen
    # A student who kills its template keeps its points (above); the next one is graded in a
    # new sandbox, where nothing of the killer (its sleeping process) is left.
    after = probed(root, "w5_probe")
    assert after["others"] == [] and after["exp_type"] == "ufunc", after
    assert sandbox_folder(after) != sandbox_folder(seen), (after["tmp"], seen["tmp"])
    # The folder's name holds the PID of the process that made the sandbox: with `python -m
    # grader autograde`, the first was made by the front end (ahead), the new one by the worker.
    makers = {name.split("-")[2] for name in sandbox_folder(after) + sandbox_folder(seen)}
    assert len(makers) == (2 if how == "grader" else 1), (after["tmp"], seen["tmp"])


def probed(root, student):
    line = next(li for li in probe_output(root, student).splitlines() if li.startswith("PROBE "))
    return json.loads(line[len("PROBE "):])


def sandbox_folder(seen):
    return [name for name in seen["tmp"] if name.startswith("grader-warm-")]


def test_warm_kernels_give_the_scores_and_outputs_of_cold_kernels(graded, tmp_path):
    """The demo cohort graded with `warm = False` (a new sandbox and Python per kernel) gets
    what the `graded` course (warm, the default) got, cell by cell. But for hal, whose endless
    loops make its softmax score depend on the machine's load either way (each looping call
    takes its 2 s of CPU; on a busy machine the cell's wall-clock limit can end it first)."""
    students = sorted(set(scores(graded, "activations")) - {"hal"})
    root = ungraded_copy(graded, tmp_path / "course", "activations", keep=students)
    with open(os.path.join(root, "nbgrader_config.py"), "a") as f:
        f.write("\nc.SandboxedKernelManager.warm = False\n")
    nbgrader(root, "autograde", "activations")
    assert scores(root, "activations") == {s: scores(graded, "activations")[s] for s in students}
    for student in students:
        assert cell_outputs_text(root, "activations", student) == cell_outputs_text(graded, "activations", student)
    shutil.rmtree(root)
