"""The warm kernel template: runs inside one grading worker's sandbox, never runs a student's
code, and forks one grading kernel per notebook.

Started by grader.grading.warm as `python -P -m grader.grading.template`, under the same
bubblewrap command (namespaces, seccomp filter, read-only root, sized /tmp, limits) as a cold
kernel. It imports once what every kernel imports (ipykernel and IPython, numpy, matplotlib with
the inline backend, the grader package) and warms matplotlib's font cache, then answers one
JSON request per line on stdin, one JSON reply per line on stdout:

- `start {connection_file, cwd, env, rlimits, processes, log}` -> `{pid}`: fork a child that
  waits for `go` (so that the trusted side can first move it into its cgroups);
- `go {pid}`: the child makes itself a fresh kernel (its own session, no descriptor of the
  template's, the kernel's environment, folder and limits, new random seeds) and runs ipykernel;
- `poll {pid}` -> `{status}`: None while the kernel runs, else its exit code (-N: signal N);
- `signal {pid, signum}`: to the kernel's process group;
- `reset` -> `{}`: between two students, kill every process of the sandbox but itself and
  bubblewrap's init (leftover background processes, double-forked ones too), reap them, remove
  System V IPC objects, and empty /tmp but for the sandbox's own mounts.

What a student changes in numpy, matplotlib or builtins lives in the forked child's memory and
dies with it. The template is not dumpable, so a kernel (same user) cannot read or write its
memory or descriptors through /proc; a kernel can only signal it, and a template that stops
answering is thrown away by the trusted side (grader.grading.warm), which starts another.
"""
from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import shutil
import signal
import sys
import time

PR_SET_DUMPABLE = 4
IPC_RMID = 0
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"   # what ipykernel sets (kernelapp.py)
SWEEP_SECONDS = 10.0
# Modules a kernel imports while it starts, found by comparing sys.modules of a graded kernel
# with the template's (none of them starts a thread at import).
KERNEL_MODULES = ("ipykernel.debugger", "pdb", "IPython.core.debugger", "IPython.core.completerlib",
                  "IPython.core.logger", "IPython.core.oinspect", "IPython.extensions.storemagic", "sqlite3",
                  "faulthandler", "resource", "secrets")


def warm_imports() -> None:
    """Import what every grading kernel imports, once: forked kernels start with these loaded."""
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)   # as ipykernel sets it before any import
    import io

    import IPython.core.interactiveshell  # noqa: F401
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipykernel.zmqshell  # noqa: F401
    import matplotlib
    import matplotlib.pyplot  # noqa: F401
    import matplotlib_inline.backend_inline  # noqa: F401
    import numpy  # noqa: F401
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    import numpy.random  # noqa: F401
    import grader  # noqa: F401   (the engine: what `from grader import grade` loads)
    import grader.engine.driver  # noqa: F401
    from grader.exercises import ASSIGNMENTS
    for assignment in ASSIGNMENTS:
        importlib.import_module(f"grader.suites.{assignment}")
    # What IPKernelApp.initialize imports (the debugger alone is 0.4 s).
    for name in KERNEL_MODULES:
        importlib.import_module(name)
    # The first figure a kernel draws loads fonts and builds caches: do it here, off-screen
    # (no pyplot state is touched).
    figure = Figure(figsize=(1, 1))
    figure.add_subplot().set_title("warm")
    FigureCanvasAgg(figure).print_png(io.BytesIO())
    del matplotlib


# A grading kernel keeps no history database (IPython writes each cell to SQLite from a thread:
# ~0.5 ms per cell) and does not sleep after each cell (ipykernel's `_execute_sleep`, 0.5 ms,
# a guard for clients that stop reading outputs at the reply; nbclient reads them until the
# kernel's idle status, which ipykernel sends after them).
KERNEL_SETTINGS = ("--HistoryManager.enabled=False", "--IPythonKernel._execute_sleep=0")


def skip_empty_flushes() -> None:
    """ipykernel flushes stdout and stderr up to six times per cell, each time handing the flush
    to its IOPub thread and waiting for it (~0.3 ms each), also when nothing was written. A flush
    with nothing buffered now returns at once: what an earlier flush took from the buffer is
    already queued on that thread, ahead of anything the kernel sends after this flush."""
    from ipykernel.iostream import OutStream
    flush = OutStream.flush

    def flush_if_written(self):
        if self._buffers or self._flush_pending or self._subprocess_flush_pending:
            flush(self)
    OutStream.flush = flush_if_written


# Characters of stdout (and of stderr) a grading kernel sends per cell: far above what nbgrader's
# pipeline keeps of an output (CapOutput: 20,000 characters), far below a print in a loop.
MAX_STREAM_CHARS = 1_000_000


def cap_streams(limit: int = MAX_STREAM_CHARS) -> None:
    """A cell that prints without end (a debugging print in an optimizer's step: 73 million
    characters in one cell) cost ~1.1 s to encode, send and decode, though the pipeline keeps
    20,000 characters of each output. A grading kernel's stdout and stderr now send at most
    `limit` characters per cell each, then one line saying so (its own output, which the
    pipeline's caps keep). Not a defence: a kernel's code can send outputs by other ways."""
    from ipykernel.iostream import OutStream
    write = OutStream.write

    def write_capped(self, string):
        cell = self.parent_header.get("msg_id")
        if getattr(self, "_capped_cell", None) != cell:   # a new cell: a new allowance
            self._capped_cell, self._sent, self._noted = cell, 0, False
        room, self._sent = limit - self._sent, self._sent + len(string)
        if len(string) <= room:
            return write(self, string)
        if not self._noted:
            self._noted = True
            if room > 0:
                write(self, string[:room])
            self.flush()   # the note below becomes an output of its own
            write(self, f"\n[the grading kernel sent no more of this cell's {self.name}: "
                        f"over {limit:,} characters]\n")
        return len(string)
    OutStream.write = write_capped


def run_kernel(request: dict, go: int) -> None:
    """In the forked child: wait for `go`, become a fresh grading kernel, never return."""
    try:
        os.setsid()   # its own process group: a student's killpg(0) reaches only its kernel
        if os.read(go, 1) != b"1":
            os._exit(1)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))   # the template's pipes stay with it
        libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)      # as an exec'd kernel would be
        import resource
        for which, soft, hard in request["rlimits"]:
            resource.setrlimit(which, (soft, hard))
        if request.get("processes"):
            resource.setrlimit(resource.RLIMIT_NPROC, (request["processes"],) * 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import numpy
        numpy.random.seed()   # the template's global generator state would be every child's
        sys.argv = [sys.argv[0], "-f", request["connection_file"], *KERNEL_SETTINGS]
        skip_empty_flushes()
        cap_streams()
        from ipykernel import kernelapp
        kernelapp.launch_new_instance(argv=sys.argv[1:])
        os._exit(0)
    except BaseException:   # never return into the template's loop
        os._exit(1)


class Template:
    """The request loop (see the module docstring)."""

    def __init__(self):
        self.gates: dict[int, int] = {}       # child pid -> write end of its `go` pipe
        self.kernels: set[int] = set()        # children started since the last reset
        self.exited: dict[int, int] = {}      # child pid -> exit code, once reaped

    def start(self, request: dict) -> dict:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(write)
            run_kernel(request, read)
        os.close(read)
        self.gates[pid] = write
        self.kernels.add(pid)
        return {"pid": pid}

    def go(self, request: dict) -> dict:
        gate = self.gates.pop(request["pid"])
        os.write(gate, b"1")
        os.close(gate)
        return {}

    def poll(self, request: dict) -> dict:
        self.reap()
        return {"status": self.exited.get(request["pid"])}

    def signal(self, request: dict) -> dict:
        pid = request["pid"]
        self.reap()
        if pid not in self.kernels or pid in self.exited:
            return {}
        try:
            os.killpg(pid, request["signum"])
        except OSError:
            try:
                os.kill(pid, request["signum"])
            except OSError:
                pass
        if request["signum"] == signal.SIGKILL:   # reap it now: the next poll says it ended
            deadline = time.monotonic() + 2
            while pid not in self.exited and time.monotonic() < deadline:
                self.reap()
                time.sleep(0.001)
        return {}

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.exited[pid] = os.waitstatus_to_exitcode(status)

    def reset(self, request: dict) -> dict:
        for gate in self.gates.values():
            os.close(gate)
        self.gates.clear()
        sweep(self.reap)
        self.kernels.clear()
        self.exited.clear()
        remove_ipc_objects()
        wipe("/tmp", mount_points())
        os.makedirs("/tmp/matplotlib", exist_ok=True)
        return {}

    def serve(self, requests, replies) -> None:
        for line in requests:
            request = json.loads(line)
            try:
                reply = getattr(self, request["op"])(request)
            except Exception as exc:   # the trusted side throws this template away
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            replies.write(json.dumps(reply) + "\n")
            replies.flush()


def sweep(reap) -> None:
    """Kill every process in this sandbox's PID namespace but the template and bubblewrap's init
    (kill(-1) spares both), until none is left; orphans go to init, which reaps them."""
    me, deadline = os.getpid(), time.monotonic() + SWEEP_SECONDS
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap()   # the template's own children
        left = [pid for pid in processes() if pid not in (1, me)]
        if not left:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"processes {left[:5]} outlived {SWEEP_SECONDS} s of SIGKILL")
        time.sleep(0.002)


def processes() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def mount_points() -> set[str]:
    with open("/proc/self/mountinfo") as f:
        return {line.split()[4].encode().decode("unicode_escape") for line in f}


def wipe(folder: str, keep: set[str]) -> None:
    """Delete everything in `folder` except the mount points in `keep` (and the folders that
    lead to them). A student may have made folders unreadable: they are made readable first."""
    for entry in os.scandir(folder):
        path = entry.path
        if path in keep:
            continue
        if any(m.startswith(path + os.sep) for m in keep) and entry.is_dir(follow_symlinks=False):
            wipe(path, keep)
        elif entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, onerror=_writable_then_retry)
        else:
            os.unlink(path)


def _writable_then_retry(function, path, exc_info) -> None:
    for folder in (os.path.dirname(path), path):
        try:
            os.chmod(folder, 0o700, follow_symlinks=False)
        except (OSError, NotImplementedError):
            pass
    if function is os.rmdir and os.path.isdir(path):
        shutil.rmtree(path)
    else:
        function(path)


def remove_ipc_objects() -> None:
    """System V shared memory, message queues and semaphores outlive their processes: remove
    every one in this sandbox's IPC namespace."""
    lib = libc()
    for kind, remove in (("shm", lambda i: lib.shmctl(i, IPC_RMID, None)),
                         ("msg", lambda i: lib.msgctl(i, IPC_RMID, None)),
                         ("sem", lambda i: lib.semctl(i, 0, IPC_RMID))):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                ids = [int(line.split()[1]) for line in f.readlines()[1:] if line.strip()]
        except OSError:
            continue
        for ident in ids:
            remove(ident)


_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def main() -> None:
    # The requests and replies keep the descriptors bubblewrap was given; what libraries print
    # goes to stderr (the template's log), never into a reply.
    requests = os.fdopen(os.dup(0), "r")
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)   # no kernel may read or write this process
    from grader.grading.kernel import RefuseReferenceLibraries
    sys.meta_path.insert(0, RefuseReferenceLibraries())
    warm_imports()
    # Everything imported so far lives as long as the template: out of the garbage collector's
    # reach, so that a kernel's collections neither walk it nor write to its pages (each such
    # write copies a page the fork shared). Python's gc docs advise this before fork().
    gc.freeze()
    # Ready, and where its kernels import the kit from (the check that it is the grading one's).
    import grader
    replies.write(json.dumps({"ready": os.getpid(), "grader": os.path.realpath(grader.__path__[0])}) + "\n")
    replies.flush()
    Template().serve(requests, replies)


if __name__ == "__main__":
    main()
