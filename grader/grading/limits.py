"""The grading kernel's limits: what each one is, how it is enforced, and how its end is named.

Two mechanisms, used together:
- **rlimits** (always; they need nothing from the machine): RLIMIT_DATA (memory a process can
  allocate), RLIMIT_NPROC (processes and threads; the kernel of Linux does not apply it to
  root, so as root only the cgroup counts), RLIMIT_CPU, RLIMIT_FSIZE (the largest file it may
  write) and RLIMIT_NOFILE. They are set between fork and exec, in the process that becomes
  bubblewrap, and inherited by the kernel and everything it starts.
- **cgroups** where this process may make them (cgroup v1's `memory` and `pids` controllers; a
  cgroup v2 machine gets the rlimits alone, as making v2 cgroups takes systemd's help): the
  memory of the whole kernel (its /tmp included) and the number of its tasks, counted together
  for every process it starts; their event counters say which limit ended it.

A limit that was hit is a `LimitHit`; its wording lives here (`reason()`), apart from how it was
found: a cgroup's counter, the signal that ended the kernel, or the error a limited call raised
in a cell (`from_error`).
"""
from __future__ import annotations

import errno
import os
import resource
import signal
import time
from dataclasses import dataclass

# Kinds of limit, the values of LimitHit.kind.
MEMORY, PROCESSES, CPU, FILE_SIZE, OPEN_FILES, TMP = "memory", "processes", "cpu", "file size", "open files", "tmp"


def size(n: int) -> str:
    """2147483648 -> '2 GiB'; 67108864 -> '64 MiB'."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


@dataclass(frozen=True)
class LimitHit:
    """A limit the kernel reached: which one and its value (bytes, a count or seconds)."""
    kind: str
    value: int

    def reason(self) -> str:
        return {
            MEMORY: f"used more than {size(self.value)} of memory",
            PROCESSES: f"started more than {self.value} processes and threads",
            CPU: f"used more than {self.value} s of CPU time",
            FILE_SIZE: f"wrote a file larger than {size(self.value)}",
            OPEN_FILES: f"opened more than {self.value} files at once",
            TMP: f"filled its {size(self.value)} /tmp",
        }[self.kind]


@dataclass(frozen=True)
class Limits:
    """The values of a kernel's limits (the manager's traitlets)."""
    memory: int
    processes: int
    cpu_seconds: int
    file_size: int
    open_files: int
    tmp_size: int

    def rlimits(self) -> list[tuple[int, int, int]]:
        """(resource, soft, hard). The CPU soft limit sends SIGXCPU (which ends Python), the
        hard one SIGKILL a few seconds later for code that ignores SIGXCPU."""
        return [(resource.RLIMIT_DATA, self.memory, self.memory),
                (resource.RLIMIT_NPROC, self.processes, self.processes),
                (resource.RLIMIT_CPU, self.cpu_seconds, self.cpu_seconds + 5),
                (resource.RLIMIT_FSIZE, self.file_size, self.file_size),
                (resource.RLIMIT_NOFILE, self.open_files, self.open_files),
                (resource.RLIMIT_CORE, 0, 0)]

    def hit(self, kind: str) -> LimitHit:
        return LimitHit(kind, {MEMORY: self.memory, PROCESSES: self.processes, CPU: self.cpu_seconds,
                               FILE_SIZE: self.file_size, OPEN_FILES: self.open_files, TMP: self.tmp_size}[kind])

    def from_exit(self, returncode: int | None) -> LimitHit | None:
        """The limit named by how the kernel ended (bubblewrap exits with 128 + the signal)."""
        if returncode is None:
            return None
        sig = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
        return self.hit(CPU) if sig == signal.SIGXCPU else self.hit(FILE_SIZE) if sig == signal.SIGXFSZ else None

    def from_error(self, ename: str, evalue: str) -> LimitHit | None:
        """The limit behind an error a cell raised, if it is one a limit causes: the rlimits make
        calls fail rather than end the kernel (Python ignores SIGXFSZ, for one)."""
        if ename == "MemoryError":
            return self.hit(MEMORY)
        if ename == "RuntimeError" and "can't start new thread" in evalue:
            return self.hit(PROCESSES)
        codes = {errno.EAGAIN: PROCESSES, errno.EFBIG: FILE_SIZE, errno.EMFILE: OPEN_FILES, errno.ENOSPC: TMP}
        for code, kind in codes.items():
            if evalue.startswith(f"[Errno {code}]"):
                return self.hit(kind)
        return None


class Cgroup:
    """One kernel's cgroup(s): memory and task limits, joined by the process that becomes the
    kernel before it runs anything, and read afterwards for the limit that ended it."""

    def __init__(self, name: str, limits: Limits):
        self.limits = limits
        self.dirs: dict[str, str] = {}      # controller ("memory", "pids") -> folder
        for controller, parent in _writable_parents().items():
            _remove_stale(parent, name.rsplit("-", 1)[0])
            path = os.path.join(parent, name)
            try:
                os.mkdir(path, 0o755)
            except OSError:
                continue
            self.dirs[controller] = path
        try:
            self._write_limits()
        except OSError:
            self.remove()

    @property
    def enforced(self) -> bool:
        return bool(self.dirs)

    def _write_limits(self) -> None:
        memory = str(self.limits.memory)
        if "memory" in self.dirs:
            _write(os.path.join(self.dirs["memory"], "memory.limit_in_bytes"), memory)
            _write(os.path.join(self.dirs["memory"], "memory.memsw.limit_in_bytes"), memory, missing_ok=True)
        if "pids" in self.dirs:
            _write(os.path.join(self.dirs["pids"], "pids.max"), str(self.limits.processes))

    def join(self) -> None:
        """Move the calling process in (called between fork and exec: plain os calls only)."""
        self.add(os.getpid())

    def add(self, process: int) -> None:
        """Move process `process` (a host PID) in."""
        pid = str(process).encode()
        for path in self.dirs.values():
            fd = os.open(os.path.join(path, "cgroup.procs"), os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    def hit(self) -> LimitHit | None:
        """The limit whose counter says it was reached: a refused fork, or an out-of-memory
        kill (a fork bomb's copies often end in one too: the processes are named first)."""
        if _counter(self.dirs.get("pids"), "pids.events", "max"):
            return self.limits.hit(PROCESSES)
        if _counter(self.dirs.get("memory"), "memory.oom_control", "oom_kill"):
            return self.limits.hit(MEMORY)
        return None

    def remove(self) -> None:
        """Kill whatever is left in it and delete it."""
        for path in self.dirs.values():
            for _ in range(100):
                try:
                    with open(os.path.join(path, "cgroup.procs")) as f:
                        pids = [int(p) for p in f.read().split()]
                except OSError:
                    pids = []
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                try:
                    os.rmdir(path)
                    break
                except OSError:   # killed processes take a moment to leave
                    time.sleep(0.02)
        self.dirs = {}


def _remove_stale(parent: str, prefix: str, age: float = 600) -> None:
    """Delete empty cgroups left by graders that were killed (SIGKILL skips their clean-up).
    rmdir refuses a cgroup that still holds a process; the age spares one just made."""
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(prefix + "-") and e.is_dir()]
    except OSError:
        return
    for entry in entries:
        try:
            if time.time() - entry.stat().st_mtime > age:
                os.rmdir(entry.path)
        except OSError:
            pass


def cgroups_available() -> bool:
    """Whether kernels get cgroups here (both controllers writable)."""
    return {"memory", "pids"} <= set(_writable_parents())


def _write(path: str, value: str, missing_ok: bool = False) -> None:
    try:
        with open(path, "w") as f:
            f.write(value)
    except FileNotFoundError:
        if not missing_ok:
            raise


def _counter(folder: str | None, filename: str, key: str) -> int:
    if not folder:
        return 0
    try:
        with open(os.path.join(folder, filename)) as f:
            for line in f:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _writable_parents() -> dict[str, str]:
    """{controller: the folder of this process's own cgroup} for the cgroup v1 controllers
    (`memory`, `pids`) where it may make child cgroups."""
    found = {}
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return found
    mounts = _cgroup_mounts()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            if controller in mounts:
                found[controller] = mounts[controller] + path.rstrip("/")
    return {c: p for c, p in found.items() if os.access(p, os.W_OK)}


def _cgroup_mounts() -> dict[str, str]:
    """{"memory": mount point, "pids": mount point} of the cgroup v1 hierarchies."""
    mounts = {}
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                _, point, fstype, options = line.split()[:4]
                if fstype == "cgroup":
                    for option in options.split(","):
                        if option in ("memory", "pids"):
                            mounts[option] = point
    except OSError:
        pass
    return mounts
