"""Warm grading kernels: one sandbox per grading process, whose template forks each kernel.

A cold grading kernel costs a new bubblewrap sandbox, a new Python and its imports (ipykernel,
numpy, matplotlib, the grader: 1.3-1.9 s) per notebook. With `SandboxedKernelManager.warm`
(the default), each grading process (plain `nbgrader autograde`, or each worker of `python -m
grader autograde --jobs N`) keeps one sandbox, made by the same `bwrap` command as a cold
kernel, in which grader.grading.template has imported all that once and never runs student
code. (`python -m grader autograde` starts its workers' sandboxes ahead, before it forks them:
each worker takes one, which then only it can reach; see start_ahead.) Each notebook's kernel
is a child forked from it, through `WarmProvisioner`, a jupyter_client kernel provisioner.
What one student does cannot reach the next:

- monkeypatched numpy, matplotlib or builtins, threads, open files: in the child's memory, gone
  with it (the template is never touched: it is not dumpable, so /proc gives no access to it);
- processes the student started (background, double-forked): the kernel's cgroup is emptied by
  SIGKILL (where cgroups are writable), and the template kills every process left in the
  sandbox's PID namespace but itself before the next kernel;
- files: the only writable places are /tmp (emptied by the template but for the sandbox's own
  mounts; System V IPC objects removed too) and this sandbox's folder (`work/`: a copy of the
  student's notebook folder, the kernel's working folder; `kernels/`: connection files and
  ZeroMQ sockets), emptied here between kernels;
- limits are set per kernel in the child (rlimits) and by its own cgroup, as for a cold one;
- a template that fails any of this, stops answering or dies (a student may kill it: same
  user) is thrown away with everything in its sandbox, and the next kernel gets a new one.

The kernel works in `work/` of its sandbox, not at the notebook's own path (a sandbox's
mounts are fixed when it starts); files it writes there are not copied back.
"""
from __future__ import annotations

import atexit
import glob
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.provisioning import LocalProvisioner
from traitlets import default

from grader.grading import seccomp
from grader.grading.limits import Limits

START_SECONDS = 120      # a template imports ipykernel, numpy, matplotlib, the grader
PREFIX = "grader-warm-"   # + the grading process's PID + "-": a folder per warm sandbox
REPLY_SECONDS = 15       # any other request (a reset may kill a fork bomb's processes)


class TemplateError(RuntimeError):
    """The template did not answer as it must; it has been thrown away."""


@dataclass(frozen=True)
class TemplateKey:
    """What a template's sandbox is made with: a kernel needing anything else gets another."""
    python: str
    limits: Limits
    env: tuple


class WarmSandbox:
    """One sandbox running the template (grader.grading.template), and its folder."""

    def __init__(self, key: TemplateKey, bwrap_command, ahead: bool = False):
        self.key = key
        self.owner = os.getpid()
        remove_stale_folders()
        self.folder = tempfile.mkdtemp(prefix=f"{PREFIX}{self.owner}-")
        self.work = os.path.join(self.folder, "work")
        self.kernels = os.path.join(self.folder, "kernels")
        os.mkdir(self.work)
        os.mkdir(self.kernels)
        self.lock = threading.Lock()
        seccomp_fd = seccomp.program_fd()
        try:
            cmd = bwrap_command([key.python, "-P", "-m", "grader.grading.template"], self.work, self.kernels,
                                dict(key.env), key.limits, seccomp_fd)
            self.proc = spawn(cmd, key.limits, seccomp_fd, os.path.join(self.folder, "template.log"))
            # For a sandbox started ahead (to be handed to a forked worker): opened while bwrap is
            # surely this process's unreaped child, so that the worker watches and kills that very
            # process (see adopt).
            self.pidfd = _pidfd_open(self.proc.pid) if ahead else None
        finally:
            if seccomp_fd is not None:
                os.close(seccomp_fd)
        self.pid_in_host: dict[int, int] = {}
        try:
            ready = self._read(START_SECONDS)
            self.template_pid = ready["ready"]
            self.grader = str(ready.get("grader", ""))   # the kit its kernels import
        except TemplateError:
            self.close()
            raise

    # ---------------------------------------------------------------- requests

    def request(self, op: str, timeout: float = REPLY_SECONDS, **args) -> dict:
        """Send one request and wait for its reply; any failure throws the sandbox away."""
        with self.lock:
            if self.proc.poll() is not None:
                raise TemplateError(f"the warm template exited ({self.proc.returncode})")
            try:
                self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
                self.proc.stdin.flush()
            except OSError as exc:
                self.close()
                raise TemplateError(f"the warm template is gone ({exc})") from None
            reply = self._read(timeout)
        if "error" in reply:
            self.close()
            raise TemplateError(f"the warm template failed to {op}: {reply['error']}")
        return reply

    def _read(self, timeout: float) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        try:
            return json.loads(line)
        except ValueError:
            self.close()
            reason = "stopped answering" if not ready else "exited" if not line else "answered nonsense"
            raise TemplateError(f"the warm template {reason}; see {self.folder}/template.log") from None

    def adopt(self) -> None:
        """Make this sandbox, started by the process this one was forked from, this process's
        own: its requests, its clean-up. bwrap stays the starter's child (the starter reaps it and
        bwrap dies with it), so it is watched and killed here through its pidfd."""
        self.owner = os.getpid()
        self.proc = _Handed(self.proc, self.pidfd)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def host_pid(self, pid: int) -> int | None:
        """The host's PID of the template's child `pid` (for its cgroups), from /proc."""
        template = self._descendant(self.proc.pid, 2)
        for child in _children(template) if template else ():
            try:
                with open(f"/proc/{child}/status") as f:
                    nspid = next(line for line in f if line.startswith("NSpid:")).split()
            except (OSError, StopIteration):
                continue
            if int(nspid[-1]) == pid:
                return child
        return None

    def _descendant(self, pid: int, depth: int) -> int | None:
        """bwrap -> its init (PID 1 inside) -> the template (PID 2 inside)."""
        for _ in range(depth):
            children = _children(pid)
            if len(children) != 1:
                return None
            pid = children[0]
        return pid

    # ---------------------------------------------------------------- between kernels

    def empty_folders(self) -> None:
        """Empty `work/` and `kernels/` (called when no process of the sandbox but the
        template runs: after a reset)."""
        for folder in (self.work, self.kernels):
            for entry in os.scandir(folder):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, onerror=_writable_then_retry)
                else:
                    os.unlink(entry.path)

    def close(self) -> None:
        """Kill the sandbox (every process in it dies with bwrap's init) and delete its folder."""
        if os.getpid() != self.owner:
            return
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)
        global _sandbox
        if _sandbox is self:
            _sandbox = None


def remove_stale_folders() -> None:
    """Delete the folders of warm sandboxes whose grading process is gone (a SIGKILL skips
    its clean-up)."""
    for path in glob.glob(os.path.join(tempfile.gettempdir(), PREFIX + "*-*")):
        owner = os.path.basename(path)[len(PREFIX):].split("-")[0]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            shutil.rmtree(path, ignore_errors=True)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _writable_then_retry(function, path, exc_info) -> None:
    os.chmod(os.path.dirname(path), 0o700)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
        shutil.rmtree(path)
    else:
        function(path)


def spawn(cmd: list[str], limits: Limits, seccomp_fd: int | None, log_path: str) -> subprocess.Popen:
    """Start the template's bwrap from a thread that lives as long as it: bwrap's
    --die-with-parent follows the thread that started it, which must not end first."""
    import resource
    started: dict = {}

    def confine():   # between fork and exec: the limits a kernel can only lower. No CPU limit:
        for which, soft, hard in limits.rlimits():   # the template lives for many kernels
            if which not in (resource.RLIMIT_NPROC, resource.RLIMIT_CPU):
                resource.setrlimit(which, (soft, hard))

    def run():
        with open(log_path, "ab") as log:
            try:
                started["proc"] = subprocess.Popen(
                    cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                    preexec_fn=confine, pass_fds=() if seccomp_fd is None else (seccomp_fd,))
            except OSError as exc:
                started["error"] = exc
            finally:
                ready.set()
        if "proc" in started:
            started["proc"].wait()

    ready = threading.Event()
    threading.Thread(target=run, name="grader-warm-template", daemon=True).start()
    ready.wait()
    if "error" in started:
        raise TemplateError(f"cannot start the warm template: {started['error']}")
    return started["proc"]


def _pidfd_open(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):   # before Linux 5.3: sandboxes are not handed over
        return None


class _Handed:
    """A template's bwrap seen from a process forked from the one that started it, in place of
    its `subprocess.Popen`: not a child here, so it is polled and killed through its pidfd,
    which names that process and never one that reuses its PID."""

    def __init__(self, proc: subprocess.Popen, pidfd: int):
        self.pid, self.stdin, self.stdout, self.pidfd = proc.pid, proc.stdin, proc.stdout, pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.pidfd], [], [], 0)[0]:
            self.returncode = -1   # exited; its status is for the starter, which reaps it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.poll() is None:
            select.select([self.pidfd], [], [], timeout)
        if self.poll() is None:
            raise subprocess.TimeoutExpired("bwrap", timeout)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)


_sandbox: WarmSandbox | None = None


_making = threading.Lock()   # one sandbox at a time: a kernel waits for one started in the background


def start_in_background(key: TemplateKey, bwrap_command) -> None:
    """Make this process's sandbox for `key` in a thread (sandbox_for waits for it); a failure
    is left for the first kernel's own try to report."""
    def make():
        try:
            sandbox_for(key, bwrap_command)
        except Exception:   # noqa: BLE001 (the first kernel tries again and reports)
            pass
    threading.Thread(target=make, name="grader-warm-start", daemon=True).start()


def sandbox_for(key: TemplateKey, bwrap_command) -> WarmSandbox:
    """This process's warm sandbox for `key`: the one it has, or a new one (replacing one made
    with other settings, or by the process this one was forked from)."""
    with _making:
        return _sandbox_for(key, bwrap_command)


def _sandbox_for(key: TemplateKey, bwrap_command) -> WarmSandbox:
    global _sandbox
    if _sandbox is not None and (_sandbox.owner != os.getpid() or not _sandbox.alive or _sandbox.key != key):
        old, _sandbox = _sandbox, None
        old.close()
    if _sandbox is None:
        _keep(WarmSandbox(key, bwrap_command))
    return _sandbox


def _keep(sandbox: WarmSandbox) -> None:
    """Make `sandbox` this process's, closed when it exits."""
    global _sandbox
    _sandbox = sandbox
    # A forked worker of multiprocessing (python -m grader autograde) ends with os._exit,
    # which skips atexit: its own exit hook closes the sandbox instead.
    from multiprocessing import util
    util.Finalize(None, _close_at_exit, exitpriority=10)


def grader_seen(python: str) -> str | None:
    """Where kernels of `python` import the grader package from, as told by a template this
    process started (None if none has)."""
    for sandbox in [_sandbox, *_ahead]:
        if sandbox is not None and sandbox.key.python == python and sandbox.grader:
            return sandbox.grader
    return None


# ---------------------------------------------------------------- started ahead of workers

# Sandboxes this process started for the workers it is about to fork (`python -m grader
# autograde`): their templates import while this process still loads what the workers inherit,
# instead of after the fork, beside the workers' own start. Each worker takes one (take_ahead).
_ahead: list[WarmSandbox] = []
CLAIM = "taken"   # in a sandbox's folder: the worker that took it holds a lock on this file


def start_ahead(key: TemplateKey, bwrap_command, count: int) -> None:
    """Start `count` sandboxes for `key`, for workers this process will fork once this returns.
    As many start at once as there are cores but one: the caller's own work keeps a core (three
    busy processes on two cores would slow it by a third). A sandbox that fails to start is left
    out: its worker makes its own, and reports why if that fails too."""
    from concurrent.futures import ThreadPoolExecutor

    def make(_):
        try:
            sandbox = WarmSandbox(key, bwrap_command, ahead=True)
        except Exception:   # noqa: BLE001
            return
        if sandbox.pidfd is None:
            sandbox.close()
        else:
            _ahead.append(sandbox)
    with ThreadPoolExecutor(max(1, (os.cpu_count() or 1) - 1)) as starts:
        list(starts.map(make, range(count)))


def take_ahead() -> bool:
    """In a forked worker: make one of the sandboxes its parent started ahead this process's
    own, one no other worker has taken; let go of this process's copies of the others' pipes.
    False if there was none to take."""
    mine = None
    for sandbox in _ahead:
        running = not select.select([sandbox.pidfd], [], [], 0)[0]   # (Popen.poll is the starter's)
        if mine is None and running and _claim(sandbox):
            mine = sandbox
        else:   # another worker's (or none's): this process never speaks to it
            for end in (sandbox.proc.stdin, sandbox.proc.stdout):
                end.close()
            os.close(sandbox.pidfd)
    _ahead.clear()
    if mine is None:
        return False
    with _making:
        mine.adopt()
        if _sandbox is not None:
            _sandbox.close()
        _keep(mine)
    return True


def _claim(sandbox: WarmSandbox) -> bool:
    """Lock the sandbox's claim file for as long as this process lives (a lock taken through
    a file opened after the fork: each worker's is its own)."""
    import fcntl
    fd = os.open(os.path.join(sandbox.folder, CLAIM), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    sandbox.claim = fd
    return True


@atexit.register
def _close_at_exit() -> None:
    if _sandbox is not None:
        _sandbox.close()
    for sandbox in _ahead:   # those no worker took, or the workers' (gone by now)
        sandbox.close()


class ForkedKernel:
    """A forked kernel, seen as the `subprocess.Popen` that LocalProvisioner expects."""

    stdin = stdout = stderr = None

    def __init__(self, sandbox: WarmSandbox, pid: int):
        self.sandbox, self.pid = sandbox, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self.sandbox.request("poll", pid=self.pid)["status"]
            except TemplateError:   # the sandbox is gone, and the kernel with it
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                self.sandbox.request("signal", pid=self.pid, signum=int(signum))
            except TemplateError:
                self.returncode = -signal.SIGKILL

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


# How soon a client socket tries again to reach a kernel that has not bound its sockets yet.
# The client connects as soon as the kernel is launched, ~50 ms before the kernel has bound
# them; ZeroMQ's default of 100 ms between tries cost 0.08 s of every notebook (measured).
RECONNECT_MS = 5


class QuickReadyClient(AsyncKernelClient):
    """jupyter_client's client, but ready as soon as the kernel has answered kernel_info and
    IOPub is connected: it does not then wait for 0.2 s of silence on IOPub (a fixed 0.2 s of
    every notebook), since nbclient ignores any message that answers none of its requests.
    Its sockets retry a connection every RECONNECT_MS instead of every 100 ms."""

    @default("context")
    def _quick_reconnect_context(self) -> zmq.asyncio.Context:
        context = super()._context_default()   # the client's own context (it closes it)
        context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        return context

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:   # IOPub connected: the kernel's status message for that request came
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    wait_for_ready = _async_wait_for_ready


class WarmProvisioner(LocalProvisioner):
    """Launches the kernel by asking the manager's warm sandbox to fork one (the manager,
    grader.grading.sandbox.SandboxedKernelManager, has prepared its folder, connection file,
    environment and cgroups)."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        self.process = self.parent.fork_warm_kernel(kwargs)
        self.pid, self.pgid = self.process.pid, None
        self.cwd = self.parent.warm_sandbox.work
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        if self.process:
            self.process.send_signal(signum)
