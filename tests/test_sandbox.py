"""The grading sandbox (grader/grading/sandbox.py) and the kernel's limits (limits.py), tried
for real: what a sandboxed process sees, a sniffer graded by `python -m grader autograde --jobs
2` beside other students, limits enforced by rlimits alone and by cgroups, and the one-line
refusals (no bubblewrap; a kernel that would not import the kit). The escapes and the bombs
graded by plain nbgrader are in tests/test_hostile.py (submissions in tests/hostile/)."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

import nbformat
import pytest

from grader.grading import sandbox, warm
from grader.grading.limits import Limits, cgroups_available
from grader.grading.pipeline import ExecuteSurvivingDeath
from grader.instructor.cohort import build_submissions
from grader.instructor.demo import REPO, nbgrader, scores
from tests.helpers import HOSTILE, autograde, cell_outputs_text, ungraded_copy
MiB = 1 << 20
SMALL = Limits(memory=512 * MiB, processes=64, cpu_seconds=30, file_size=64 * MiB, open_files=256,
               tmp_size=64 * MiB)


def run_sandboxed(workdir, private, code, env=None):
    cmd = sandbox.bwrap_command([sys.executable, "-P", "-c", code], str(workdir), str(private),
                                env or dict(os.environ), SMALL, None)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_the_sandbox_shows_only_the_kernels_own_folder_and_nothing_of_the_host(tmp_path, monkeypatch):
    assert sandbox.unavailable_reason() == "", sandbox.unavailable_reason()
    root = tmp_path / "course"
    work = root / "autograded" / "s1" / "a1"
    work.mkdir(parents=True)
    (work / "mine.txt").write_text("mine")
    (root / "source").mkdir()
    (root / "source" / "solution.txt").write_text("secret")
    (root / "gradebook.db").write_text("grades")
    private = tmp_path / "private"
    private.mkdir()
    probe = "\n".join([
        "import glob, importlib.util, json, os, socket, sysconfig, grader",
        "out = {}",
        f"out['course'] = sorted(os.listdir({str(root)!r}))",
        f"out['own'] = sorted(os.listdir({str(work)!r}))",
        "out['home'] = os.path.exists(os.path.expanduser('~root/.bashrc')) or os.path.exists('/root/.bashrc')",
        "out['bank'] = os.path.exists(os.path.join(os.path.dirname(grader.__file__), 'bank'))",
        # torch's folder is there, empty and read-only (a read-only tmpfs over it): no code of it
        "torch = os.path.join(sysconfig.get_paths()['purelib'], 'torch')",
        "out['torch'] = os.listdir(torch) if os.path.isdir(torch) else []",
        "out['torch_nn'] = importlib.util.find_spec('torch.nn') is not None",
        "try:\n    open(os.path.join(torch, '__init__.py'), 'w')\n    out['torch_writable'] = True\n"
        "except OSError:\n    out['torch_writable'] = False",
        "out['processes'] = len(glob.glob('/proc/[0-9]*'))",
        "out['interfaces'] = sorted(n for _, n in socket.if_nameindex())",
        "out['secret'] = os.environ.get('COURSE_SECRET')",
        "try:\n    open('/etc/x', 'w')\n    out['root_writable'] = True\n"
        "except OSError:\n    out['root_writable'] = False",
        f"open({str(work / 'new.txt')!r}, 'w').write('ok')",
        "print(json.dumps(out))",
    ])
    monkeypatch.setenv("COURSE_SECRET", "s3cret")
    proc = run_sandboxed(work, private, probe)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["course"] == ["autograded"]        # only the path down to its own folder
    assert seen["own"] == ["mine.txt"]
    assert not seen["home"] and not seen["bank"]
    assert seen["torch"] == [] and not seen["torch_nn"] and not seen["torch_writable"]
    assert seen["processes"] <= 2                  # itself (and bubblewrap's init)
    assert seen["interfaces"] in (["lo"], [])      # a network namespace of its own
    assert seen["secret"] is None                  # only an allow-list of variables gets in
    assert seen["root_writable"] is False
    assert (work / "new.txt").read_text() == "ok"  # its own folder is writable
    assert (root / "gradebook.db").read_text() == "grades"


def test_the_seccomp_filter_refuses_mount_ptrace_and_unshare(tmp_path):
    fd = sandbox.seccomp.program_fd()
    assert fd is not None, "libseccomp is installed (Debian's libseccomp2)"
    code = ("import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); r = []\n"
            "for call, args in (('mount', (b'x', b'/tmp', b'tmpfs', 0, None)), ('unshare', (0x10000000,)),"
            " ('ptrace', (16, 1, None, None)), ('chroot', (b'/tmp',))):\n"
            "    r.append((call, getattr(libc, call)(*args), ctypes.get_errno()))\n"
            "print(r, open('/proc/self/status').read().count('Seccomp:\\t2'))")
    cmd = sandbox.bwrap_command([sys.executable, "-P", "-c", code], str(tmp_path), str(tmp_path),
                                dict(os.environ), SMALL, fd)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, pass_fds=(fd,))
    os.close(fd)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[('mount', -1, 1), ('unshare', -1, 1), ('ptrace', -1, 1), ('chroot', -1, 1)] 1"


def run_notebook(tmp_path, cells, **limits):
    """Cells run by the pipeline's ExecuteSurvivingDeath in a SandboxedKernelManager with
    `limits` (its traitlets): the executed notebook."""
    from traitlets.config import Config
    config = Config()
    for name, value in limits.items():
        setattr(config.SandboxedKernelManager, name, value)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    ep = ExecuteSurvivingDeath(config=config, timeout=120, kernel_manager_class=sandbox.SandboxedKernelManager)
    if limits.get("warm", True):
        nb, _ = ep.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
        # A warm kernel's folders are in its sandbox's folder (which stays, for the next kernel).
        left = [e.path for folder in (warm._sandbox.kernels, warm._sandbox.work) for e in os.scandir(folder)]
        assert not left, "the kernel's private folder is deleted, even after it died"
        return ["".join(o.get("text", "") + o.get("evalue", "") for o in c.outputs) for c in nb.cells]
    # The kernel's private folder is made in a temporary folder of this test's own, so that kernels
    # of other test runs on the machine cannot look like one left behind (a short path: it holds sockets).
    private = tempfile.mkdtemp(prefix="t-")
    saved, tempfile.tempdir = tempfile.tempdir, private
    try:
        nb, _ = ep.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    finally:
        tempfile.tempdir = saved
    assert not os.listdir(private), "the kernel's private folder is deleted, even after it died"
    os.rmdir(private)
    return ["".join(o.get("text", "") + o.get("evalue", "") for o in c.outputs) for c in nb.cells]


def test_a_warm_sandbox_started_ahead_is_the_one_the_first_kernel_uses(tmp_path):
    """autograde's workers start their warm sandbox in the background before their first
    submission (grader.instructor.autograde.warm_up_worker). It must be made for exactly the
    kernels the manager then starts: else the first kernel makes a second one, and the first
    was started for nothing."""
    import time
    from traitlets.config import Config
    warm._close_at_exit()   # none left by an earlier test
    sandbox.start_warm_sandbox(Config())
    deadline = time.monotonic() + warm.START_SECONDS
    while warm._sandbox is None and time.monotonic() < deadline:
        time.sleep(0.05)
    ahead = warm._sandbox
    assert ahead is not None and ahead.alive
    assert run_notebook(tmp_path, ["print(6 * 7)"]) == ["42\n"]
    assert warm._sandbox is ahead


def _take_and_grade(folder, events, told, done):
    """A forked worker: takes a sandbox started ahead, runs a kernel in it, tells what it took
    and which of the sandboxes' pipes it still holds, keeps it until `done`, exits."""
    try:
        taken = warm.take_ahead()
        sandboxes = warm._sandbox
        mine = sandboxes.folder if taken else None
        pipes = [p for p in map(_link, os.listdir("/proc/self/fd")) if p.startswith("pipe:")]
        out = run_notebook(folder, ["print(6 * 7)"]) if taken else None
        events.put((mine, pipes, out, taken and warm._sandbox is sandboxes))
    except BaseException as exc:
        events.put((repr(exc), [], None, False))
        raise
    told.wait(120)
    done.wait(120)


def _link(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:   # the folder listing's own
        return ""


def pipe_names(sandboxes):
    return {s.folder: {_link(end.fileno()) for end in (s.proc.stdin, s.proc.stdout)} for s in sandboxes}


def test_sandboxes_started_ahead_go_one_to_each_forked_worker_which_alone_holds_and_ends_it(tmp_path):
    """autograde's front end starts one warm sandbox per worker before it forks them
    (sandbox.start_warm_sandboxes_ahead). Each forked worker takes another one (a third finds
    none left), holds the pipes of its own only, grades in it, and ends it when it exits."""
    import multiprocessing
    from traitlets.config import Config
    warm._close_at_exit()   # none left by an earlier test
    warm._ahead.clear()
    sandbox.start_warm_sandboxes_ahead(Config(), 2)
    ahead = list(warm._ahead)
    assert len(ahead) == 2 and all(s.alive for s in ahead) and warm._sandbox is None
    pipes = pipe_names(ahead)
    context = multiprocessing.get_context("fork")
    events, done = context.Queue(), context.Event()
    workers, seen = [], []
    try:
        for n in range(3):   # one after another: each holds its sandbox while the next tries
            told = context.Event()
            workers.append(context.Process(target=_take_and_grade, args=(tmp_path / str(n), events, told, done)))
            (tmp_path / str(n)).mkdir()
            workers[-1].start()
            seen.append(events.get(timeout=180))
            assert seen[-1][0] is None or seen[-1][0].startswith("/"), seen[-1][0]
            told.set()
    finally:
        done.set()
        for worker in workers:
            worker.join(60)
    (first, first_pipes, out1, kept1), (second, second_pipes, out2, kept2), (third, _, out3, _) = seen
    assert {first, second} == set(pipes) and third is None and out3 is None
    assert out1 == out2 == ["42\n"] and kept1 and kept2, "each grades in the sandbox it took"
    for mine, held in ((first, first_pipes), (second, second_pipes)):
        other = next(f for f in pipes if f != mine)
        assert pipes[mine] <= set(held) and not pipes[other] & set(held), "only its own sandbox's pipes"
    assert all(w.exitcode == 0 for w in workers), [w.exitcode for w in workers]
    # Each worker ended its sandbox when it exited: bwrap (this process's child) is gone, and the
    # folder with it.
    for s in ahead:
        s.proc.wait(30)
        assert not os.path.exists(s.folder)
    warm._close_at_exit()
    warm._ahead.clear()


def test_a_cell_that_prints_without_end_sends_its_first_million_characters_and_says_so(tmp_path):
    """Each cell of a grading kernel sends at most MAX_STREAM_CHARS of stdout (and of stderr),
    then a note; the next cell has its own allowance."""
    from grader.grading.template import MAX_STREAM_CHARS
    loop, line = "import sys\nfor i in range(3000):\n    print('x' * 999)\nprint('e' * 10, file=sys.stderr)", "x" * 999 + "\n"
    note = f"\n[the grading kernel sent no more of this cell's stdout: over {MAX_STREAM_CHARS:,} characters]\n"
    printed = run_notebook(tmp_path, [loop, "print('y' * 3_000_000)", "print('next')"])
    assert printed[0] == (line * 3000)[:MAX_STREAM_CHARS] + note + "e" * 10 + "\n"
    assert printed[1] == "y" * MAX_STREAM_CHARS + note
    assert printed[2] == "next\n"


@pytest.mark.slow
def test_a_graded_test_cell_is_not_cut_off_by_the_cell_timeout_of_students_cells(tmp_path):
    """nbclient's wall-clock `timeout` is for the student's cells; a graded test cell runs the
    instructor's grade(), which limits the student's code by CPU time and ends itself, so it gets
    `graded_cell_timeout`: a busy machine, slowing it in wall-clock time, cannot cost its points."""
    from grader.grading.cells import CELL_TIMED_OUT
    waits = "import time\ntime.sleep(4)\nprint('done')"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(waits), nbformat.v4.new_code_cell(waits)])
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_x", "points": 1}
    ep = ExecuteSurvivingDeath(timeout=2, graded_cell_timeout=60, kernel_manager_class=sandbox.SandboxedKernelManager)
    nb, _ = ep.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert [o.get("text") for o in nb.cells[0].outputs] == ["done\n"]
    assert CELL_TIMED_OUT in [o.get("ename") for o in nb.cells[1].outputs if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("cgroups", [False, True], ids=["rlimits alone", "with cgroups"])
@pytest.mark.parametrize("bomb, reason", [
    ("a = []\nwhile True:\n    a.append(bytearray(50 * 2**20))", "the kernel used more than 512 MiB of memory"),
    ("with open('/tmp/f', 'wb') as f:\n    while True:\n        f.write(bytes(2**20))",
     "the kernel filled its 64 MiB /tmp"),
    ("with open('f', 'wb') as f:\n    while True:\n        f.write(bytes(2**20))",
     "the kernel wrote a file larger than 64 MiB"),
    ("fs = [open('/dev/null') for _ in range(1000)]", "the kernel opened more than 256 files at once"),
    ("while True:\n    pass", "the kernel used more than 3 s of CPU time"),
], ids=["memory", "tmp", "file size", "open files", "cpu"])
def test_a_kernel_over_a_limit_is_stopped_with_the_limit_named(tmp_path, bomb, reason, cgroups):
    outputs = run_notebook(tmp_path, ["print('before')", bomb, "print('after')"], cgroups=cgroups,
                           memory_limit=512 * MiB, tmp_size=64 * MiB, file_size_limit=64 * MiB,
                           open_files_limit=256, cpu_limit=3)
    assert outputs[0] == "before\n"
    assert reason in outputs[1], outputs[1][-1000:]
    assert outputs[2].startswith("not run: " + reason), outputs[2]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() == 0 and not cgroups_available(),
                    reason="as root without cgroups nothing limits processes (Linux exempts root from RLIMIT_NPROC)")
@pytest.mark.parametrize("bomb", ["import os\nwhile True:\n    os.fork()",
                                  "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, "
                                  "args=(3600,), daemon=True).start()"], ids=["fork", "threads"])
def test_fork_and_thread_bombs_end_with_the_process_limit(tmp_path, bomb):
    outputs = run_notebook(tmp_path, ["print('before')", bomb, "print('after')"], process_limit=64)
    assert outputs[0] == "before\n"
    assert "the kernel started more than 64 processes and threads" in outputs[1], outputs[1][-1000:]


@pytest.mark.slow
def test_a_sniffer_graded_in_parallel_hears_no_other_kernel_and_no_network(graded, tmp_path):
    root = ungraded_copy(graded, tmp_path / "course", "activations", keep={"ada", "ben", "cy"})
    assert build_submissions(root, HOSTILE, "activations")
    for student in os.listdir(os.path.join(root, "submitted")):
        if student not in ("ada", "ben", "cy", "sniffer"):
            shutil.rmtree(os.path.join(root, "submitted", student))
    with socket.socket() as listener:   # something on the host to find, if the network were shared
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        proc = autograde(root, "activations", "--jobs", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    text = cell_outputs_text(root, "activations", "sniffer")
    for cell in ("test_sigmoid", "test_sigmoid_grad", "test_softmax", "test_log_softmax"):
        assert "heard nothing: no listener, no other kernel, no network" in text[cell], text[cell][-1500:]
    mine, serial = scores(root, "activations"), scores(graded, "activations")
    assert {s: mine[s] for s in ("ada", "ben", "cy")} == {s: serial[s] for s in ("ada", "ben", "cy")}
    assert sum(mine["sniffer"].values()) == 0


@pytest.mark.slow
def test_without_bubblewrap_grading_stops_with_one_line_naming_the_package(graded, tmp_path):
    root = ungraded_copy(graded, tmp_path / "course", "activations", keep={"ada"})
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    for tool in ("sh", "env"):   # a PATH with what nbgrader needs, but no bwrap
        os.symlink(shutil.which(tool), no_bwrap / tool)
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{no_bwrap}")
    proc = subprocess.run([sys.executable, "-m", "grader", "autograde", "activations"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: grading sandbox unavailable: bubblewrap (bwrap) is not installed: install bubblewrap "
        "(Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) (or set "
        "c.SandboxedKernelManager.required = False to grade without it)"]
    # Opting out grades without the sandbox, and says so.
    opted_out = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "activations",
                                "--SandboxedKernelManager.required=False"], cwd=root, env=env,
                               capture_output=True, text=True, timeout=300)
    assert opted_out.returncode == 0, opted_out.stderr[-3000:]
    assert "Grading WITHOUT the sandbox" in opted_out.stderr
    assert scores(root, "activations")["ada"] == scores(graded, "activations")["ada"]


def test_a_template_started_here_says_which_kit_its_kernels_import_so_no_probe_is_needed(monkeypatch):
    """The check that kernels import the grading kit asks a warm template this process started
    (autograde starts them before the check) instead of starting a sandboxed Python of its own;
    a template that imports another kit makes the check fail with the usual line."""
    from traitlets.config import Config
    warm._close_at_exit()
    warm._ahead.clear()
    sandbox.kit_mismatch.cache_clear()
    try:
        sandbox.start_warm_sandboxes_ahead(Config(), 1)
        [ahead] = warm._ahead
        assert ahead.grader == os.path.realpath(sandbox.GRADER_DIR)
        monkeypatch.setattr(sandbox, "_probe_kit", lambda python: pytest.fail("a probe was started"))
        assert sandbox.kit_mismatch(ahead.key.python) == ""
        ahead.grader = "/elsewhere/grader"
        sandbox.kit_mismatch.cache_clear()
        assert sandbox.kit_mismatch(ahead.key.python).startswith(
            "the grading kernel would import the grader package from /elsewhere/grader, but grading uses")
    finally:
        warm._close_at_exit()
        warm._ahead.clear()
        sandbox.kit_mismatch.cache_clear()


def test_a_kernel_that_cannot_import_the_kit_is_refused_in_one_line():
    python = shutil.which("python3", path="/usr/bin")
    if python is None or subprocess.run([python, "-c", "import numpy"], capture_output=True).returncode == 0:
        pytest.skip("needs a Python without numpy to play the kernel of another environment")
    message = sandbox.kit_mismatch(python)
    assert message.startswith(f"the grading kernel ({python}) cannot import the kit that grades")
    assert "\n" not in message and "pip install" in message


@pytest.mark.slow
def test_a_course_with_its_own_copy_of_the_grader_package_grades_normally(graded, tmp_path):
    """The instructor copied the kit into the course folder while another copy is installed:
    nbgrader imports the course's `grader/` and so does the kernel (the sandbox mounts the one
    that grades, first on the kernel's path)."""
    root = ungraded_copy(graded, tmp_path / "course", "activations", keep={"ada", "ben"})
    shutil.copytree(os.path.join(REPO, "grader"), os.path.join(root, "grader"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    proc = nbgrader(root, "autograde", "activations", check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert scores(root, "activations") == {s: scores(graded, "activations")[s] for s in ("ada", "ben")}
    log = json.dumps(proc.stderr)
    assert "Kernel died" not in log
