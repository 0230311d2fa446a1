"""The grading kernel's sandbox: bubblewrap, no network, no other kernel in sight, limits.

nbgrader starts the student's kernel as an ordinary process of the instructor: it could read
`source/` (solutions, hidden tests), other students' work and the reference bank, write
`gradebook.db` and `nbgrader_config.py`, and listen in on other kernels' ZeroMQ ports.
`SandboxedKernelManager` starts it instead under bubblewrap (`bwrap`, Debian's `bubblewrap`:
the sandbox Flatpak is built on, small, setuid-free and well reviewed), which gives it
- a root of its own, made with pivot_root and then made read-only, that holds only: the system
  folders and the Python environment (read-only; the folders of the reference libraries torch/
  scipy/jax/tensorflow in it are empty: each is covered by an empty read-only tmpfs), the
  grader package the grading process uses (read-only, without the reference bank
  `grader/bank/`), a private /proc, a minimal read-only /dev, a sized tmpfs /tmp, the
  submission's own folder (read-write: the only place it can write to disk) and a private
  folder with its connection file and ZeroMQ sockets. The course root, other students, home
  folders and the bank are absent, not hidden under a mount. (The reference libraries are
  public packages, hidden under mounts that no process in the sandbox can remove: it has no
  capabilities and its seccomp filter refuses umount. Making them absent too took one bind
  mount per other entry of site-packages, ~300: 0.25 s of bwrap's per sandbox.)
- new user, PID, IPC, UTS, cgroup and **network** namespaces: no other process is visible, and
  there is no network at all (the kernel talks to nbgrader over Unix sockets, ZeroMQ's `ipc`
  transport, in its private folder, which no other kernel's sandbox can see);
- no capabilities, no_new_privs, no further user namespaces, a new session (no terminal to type
  into) and a seccomp filter (`grader.grading.seccomp`) refusing mount, chroot, ptrace & co.;
- death with its grader (`--die-with-parent`), and an environment with nothing but an
  allow-list of variables (no secret reaches it);
- the limits of `grader.grading.limits`, set before it starts.

Without bwrap or user namespaces grading stops with one line naming the package to install;
`c.SandboxedKernelManager.required = False` grades without the sandbox (and warns).
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import uuid
from typing import TYPE_CHECKING

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, DottedObjectName, Integer, List, Unicode, default

from grader.grading import seccomp, warm
from grader.grading.limits import Cgroup, LimitHit, Limits

if TYPE_CHECKING:
    from concurrent.futures import Executor

BLOCKED_PACKAGES = ("torch", "scipy", "jax", "tensorflow")
GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the grader package
BANK_DIR = os.path.join(GRADER_DIR, "bank")
INSTALL = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What of /etc a Python kernel needs: the dynamic linker's cache, time zone, fonts, user names.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "fonts", "passwd",
             "group", "nsswitch.conf", "alternatives", "matplotlibrc", "mime.types")
KEPT_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "NBGRADER_EXECUTION", "PYTHONHASHSEED", "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "PYDEVD_DISABLE_FILE_VALIDATION")
GiB, MiB = 1 << 30, 1 << 20


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be made here; the message is one line for the instructor."""


def package_dirs(names=BLOCKED_PACKAGES) -> list[str]:
    """Folders of installed packages, found without importing them."""
    dirs = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec and spec.submodule_search_locations:
            dirs += [os.path.realpath(d) for d in spec.submodule_search_locations]
    return dirs


def read_only(src: str, absent: list[str]) -> list[str]:
    """bwrap arguments that show folder `src` read-only at its own path, without the folders
    in `absent`: where one lies inside, its siblings are bound one by one, so that it does
    not exist in the sandbox at all."""
    inside = [a for a in absent if a == src or a.startswith(src + os.sep)]
    if not inside:
        return ["--ro-bind", src, src]
    if src in inside:
        return []
    args = []
    for entry in sorted(os.scandir(src), key=lambda e: e.name):
        if entry.is_symlink():
            args += ["--symlink", os.readlink(entry.path), entry.path]
        elif entry.is_dir():
            args += read_only(entry.path, inside)
        else:
            args += ["--ro-bind", entry.path, entry.path]
    return args


@functools.lru_cache(maxsize=None)
def system_args() -> tuple[str, ...]:
    """The read-only part of the sandbox: system folders, /etc's few files, the Python
    environment without the reference libraries, the grader package without its bank."""
    args = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_FILES:
        args += ["--ro-bind-try", os.path.join("/etc", name), os.path.join("/etc", name)]
    absent = [os.path.realpath(BANK_DIR)]
    python = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    for path in sorted(python):
        if not any(path.startswith(other + os.sep) for other in python):
            args += read_only(path, absent)
    grader = os.path.realpath(GRADER_DIR)
    if not any(grader.startswith(p + os.sep) for p in python):
        args += read_only(grader, absent)
    shown = [os.path.realpath(p) for p in SYSTEM_DIRS if os.path.isdir(p)] + sorted(python) + [grader]
    for folder in package_dirs():   # inside a folder shown here: shown empty and read-only
        if any(folder.startswith(root + os.sep) for root in shown):
            args += ["--tmpfs", folder, "--remount-ro", folder]
    return tuple(args)


def bwrap_command(kernel_cmd: list[str], workdir: str, private: str, env: dict, limits: Limits,
                  seccomp_fd: int | None) -> list[str]:
    """The command that runs `kernel_cmd` in the sandbox, in `workdir`."""
    workdir = os.path.realpath(workdir)
    # A submission folder under /tmp would hang from the sandbox's writable /tmp: the folders
    # above it (the course's path) go on a tmpfs of their own, made read-only once it is bound.
    parts = workdir.split(os.sep)
    above = os.sep.join(parts[:3]) if workdir.startswith("/tmp/") and len(parts) > 3 else None
    # The tmpfs mounts come first: a bind made before them at a path below would be covered.
    args = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL",
            "--die-with-parent", "--new-session", "--hostname", "grader",
            "--size", str(limits.tmp_size), "--tmpfs", "/tmp", *(["--tmpfs", above] if above else []),
            *system_args(), "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev",
            "--dir", "/tmp/matplotlib", *matplotlib_cache_args(),
            "--bind", private, private, "--bind", workdir, workdir,
            *(["--remount-ro", above] if above else []), "--remount-ro", "/",
            "--chdir", workdir, "--clearenv"]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    for name, value in sorted(kernel_env(env).items()):
        args += ["--setenv", name, value]
    return args + ["--"] + kernel_cmd


def kernel_env(env: dict) -> dict:
    """The whole environment of a sandboxed kernel: the allow-listed variables of `env`, and
    where it may write its own settings (its /tmp)."""
    kept = {k: v for k, v in env.items() if k in KEPT_ENV or k.startswith("LC_")}
    kept.update(HOME="/tmp", TMPDIR="/tmp", MPLCONFIGDIR="/tmp/matplotlib", IPYTHONDIR="/tmp/ipython",
                PYTHONPATH=os.path.dirname(os.path.realpath(GRADER_DIR)))
    return kept


def matplotlib_cache_args() -> list[str]:
    """matplotlib rebuilds its font list (seconds) in an empty config folder: show it the
    grading process's list, read-only, in the kernel's writable one."""
    cache = os.environ.get("MPLCONFIGDIR") or os.path.expanduser("~/.cache/matplotlib")
    try:
        names = [n for n in os.listdir(cache) if n.startswith("fontlist") and n.endswith(".json")]
    except OSError:
        names = []
    return [a for n in names for a in ("--ro-bind", os.path.join(cache, n), f"/tmp/matplotlib/{n}")]


def kernel_command(cmd: list[str], processes: int | None) -> list[str]:
    """The kernelspec's `python -m ipykernel_launcher ...` as `python -P -m grader.grading.kernel
    [--max-processes=N] ...`: the same kernel, with the reference libraries refused and the
    process limit set inside its user namespace; -P keeps the submission's folder off sys.path,
    so that the grader package is the one mounted (a student's `grader/` cannot shadow it)."""
    out = []
    for i, part in enumerate(cmd):
        if part == "ipykernel_launcher":
            out += ["grader.grading.kernel"] + ([f"--max-processes={processes}"] if processes else [])
        elif i == 0 and len(cmd) > 1 and cmd[1] == "-m":
            out += [part, "-P"]
        else:
            out.append(part)
    return out


def linux_version() -> tuple[int, int]:
    try:
        major, minor = os.uname().release.split(".")[:2]
        return int(major), int("".join(c for c in minor if c.isdigit()) or 0)
    except ValueError:
        return (0, 0)


def kernel_python(argv: list[str]) -> str:
    """The interpreter a kernelspec's argv runs (jupyter_client runs its own for `python`)."""
    first = argv[0] if argv else "python"
    if first in ("python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]):
        return sys.executable
    return shutil.which(first) or first


def preflight(required: bool = True, argv: list[str] | None = None) -> str:
    """"" if grading can start here; else the one line that says why not: no sandbox (unless
    not `required`), or a kernel that would not import the kit that grades."""
    reason = unavailable_reason()
    if reason:
        return (f"grading sandbox unavailable: {reason} (or set c.SandboxedKernelManager.required = False "
                "to grade without it)") if required else ""
    return kit_mismatch(kernel_python(argv or ["python"]))


@functools.lru_cache(maxsize=1)
def unavailable_reason() -> str:
    """Why the sandbox cannot be made on this machine, or "" if it can."""
    if shutil.which("bwrap") is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL}"
    try:
        proc = subprocess.run(["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop",
                               "ALL", *system_args(), "--", "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run bwrap ({exc})"
    if proc.returncode != 0:
        message = (proc.stderr.strip().splitlines() or ["no message"])[-1][:300]
        return (f"bwrap cannot make its namespaces here ({message}): user namespaces must be enabled "
                "(sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)")
    return ""


@functools.lru_cache(maxsize=None)
def kit_mismatch(python: str) -> str:
    """"" if the kernel, started by `python` in the sandbox, imports the grader package this
    process uses; else one line saying what it imported instead, or why it could not. A warm
    template this process started has told already (grader.grading.warm.grader_seen); else a
    sandboxed `python` is asked."""
    seen = warm.grader_seen(python)
    if seen is None:
        seen, problem = _probe_kit(python)
        if problem:
            return problem
    if seen != os.path.realpath(GRADER_DIR):
        return (f"the grading kernel would import the grader package from {seen}, but grading uses "
                f"{os.path.realpath(GRADER_DIR)}: run nbgrader with the same kit as the kernel")
    return ""


def _probe_kit(python: str) -> tuple[str, str]:
    """(where a sandboxed `python` imports the grader package from, "") or ("", why it could not)."""
    probe = ("import grader, grader.grading.kernel, ipykernel, os; "
             "print(os.path.realpath(grader.__path__[0]))")
    limits = Limits(memory=2 * GiB, processes=256, cpu_seconds=60, file_size=64 * MiB, open_files=256,
                    tmp_size=64 * MiB)
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as folder:
        cmd = bwrap_command([python, "-P", "-c", probe], folder, folder, dict(os.environ), limits, None)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return "", f"the grading kernel could not be tried ({exc})"
    if proc.returncode != 0:
        error = (proc.stderr.strip().splitlines() or ["no message"])[-1][:300]
        return "", (f"the grading kernel ({python}) cannot import the kit that grades ({GRADER_DIR}): {error}. "
                    "Install the kit into the kernel's Python environment (pip install -e <kit folder>)")
    return (proc.stdout.strip().splitlines() or [""])[-1], ""


def start_warm_sandbox(config=None) -> None:
    """Start this process's warm sandbox now, in the background, for the kernels a manager with
    `config` would start: its template's imports (~1 s, in its own process) then overlap with
    this process's own work, and the first kernel waits only for what is left. Nothing happens
    where kernels are cold or unsandboxed."""
    manager = _warm_manager(config)
    if manager:
        warm.start_in_background(manager.warm_key(), bwrap_command)


def start_warm_sandboxes_ahead(config, count: int, background: Executor | None = None) -> None:
    """Start `count` warm sandboxes for a manager with `config`, for the workers this process is
    about to fork (grader.grading.warm.start_ahead): ready when this returns, or, with
    `background`, when the task it runs there ends. Before preflight: their templates tell it
    where the kernels import the kit from (one sandboxed Python fewer to start); a wrong kit
    stops the command at preflight, these unused. What they are started with is worked out
    here, in the caller's thread (0.02 s): in a background thread, beside the caller's imports
    (torch's holds the GIL for long stretches), that took 0.2 s, all of it before the first
    template could start."""
    manager = _warm_manager(config, checked=False)
    if manager:
        key = manager.warm_key()
        if background is None:
            warm.start_ahead(key, bwrap_command, count)
        else:
            background.submit(warm.start_ahead, key, bwrap_command, count)


def _warm_manager(config, checked: bool = True) -> "SandboxedKernelManager | None":
    """A manager with `config` if its kernels are warm and sandboxed here (and, if `checked`,
    pass preflight), else None."""
    manager = SandboxedKernelManager(config=config)
    if manager.warm and not unavailable_reason() and not (checked and preflight(manager.required, manager.kernel_spec.argv)):
        return manager
    return None


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the grading kernel in the sandbox with its limits (see the module docstring and
    grader.grading.limits). After a cell, `limit_reached(outputs)` says whether a limit ended
    it, for ExecuteSurvivingDeath to name."""

    required = Bool(True, help="refuse to grade if the sandbox cannot be made (if False, grade "
                               "unsandboxed with a warning: students could then read solutions)").tag(config=True)
    memory_limit = Integer(2 * GiB, help="bytes of memory a kernel may use (RLIMIT_DATA per process; "
                                         "with cgroups, the kernel's processes and /tmp together)").tag(config=True)
    process_limit = Integer(256, help="processes and threads a kernel may run at once (cgroup pids; "
                                      "RLIMIT_NPROC, which Linux does not apply to root)").tag(config=True)
    cpu_limit = Integer(900, help="seconds of CPU time per process of a kernel (RLIMIT_CPU)").tag(config=True)
    file_size_limit = Integer(256 * MiB, help="bytes a kernel may write to one file (RLIMIT_FSIZE)").tag(config=True)
    open_files_limit = Integer(512, help="files a kernel may have open at once (RLIMIT_NOFILE)").tag(config=True)
    tmp_size = Integer(256 * MiB, help="bytes of the kernel's private /tmp (a tmpfs, in memory)").tag(config=True)
    cgroups = Bool(True, help="also limit memory and processes with cgroup v1 `memory`/`pids` where this "
                              "process may make cgroups (they count every process of a kernel together)"
                   ).tag(config=True)
    kernel_log = Unicode("", help="file that receives the kernel process's own stdout and stderr "
                                  "(default: the kernel's private folder, deleted with it)").tag(config=True)
    kept_env = List(Unicode(), help="further environment variables passed to the kernel (by default only "
                                    "locale, PATH and thread counts are; secrets stay out)").tag(config=True)
    warm = Bool(True, help="fork each kernel from a warm template (ipykernel, numpy, matplotlib and the grader "
                           "already imported) that lives in one sandbox per grading process and never runs "
                           "student code (grader/grading/warm.py): the same sandbox and limits, nothing of one "
                           "student left for the next, without a new sandbox and Python per notebook. False: "
                           "a new sandbox and Python for every kernel").tag(config=True)

    # Ready as soon as the kernel answers (warm.QuickReadyClient), not 0.2 s later.
    client_class = DottedObjectName("grader.grading.warm.QuickReadyClient")

    @default("client_factory")
    def _client_factory_default(self):
        return warm.QuickReadyClient

    _folder = None
    _cgroup = None
    _seccomp_fd = None
    _log = None
    _sandboxed = False
    warm_sandbox = None    # the warm.WarmSandbox this kernel was forked in (None: a cold kernel)

    @property
    def limits(self) -> Limits:
        return Limits(memory=self.memory_limit, processes=self.process_limit, cpu_seconds=self.cpu_limit,
                      file_size=self.file_size_limit, open_files=self.open_files_limit, tmp_size=self.tmp_size)

    async def _async_pre_start_kernel(self, **kw):
        problem = preflight(self.required, self.kernel_spec.argv)
        if problem:
            raise SandboxUnavailable(problem)
        reason = unavailable_reason()
        if reason:
            self.log.warning("Grading WITHOUT the sandbox (%s): students' code can read the course.", reason)
        self._sandboxed = not reason
        if self.warm and self._sandboxed:
            return await self._pre_start_warm(**kw)
        # A private folder per kernel for its connection file and its ZeroMQ Unix sockets.
        self._folder = tempfile.mkdtemp(prefix="grader-kernel-")
        self.transport = "ipc"
        self.ip = os.path.join(self._folder, "kernel")
        self.connection_file = os.path.join(self._folder, "kernel.json")
        # bwrap does not pass signals on: interrupt over the control channel instead of SIGINT.
        self.kernel_spec.interrupt_mode = "message"
        self._cgroup = Cgroup(f"grader-kernel-{uuid.uuid4().hex[:12]}", self.limits) if self.cgroups else None
        self._seccomp_fd = seccomp.program_fd() if self._sandboxed else None
        # The kernel process's own output (start-up chatter, a crash's last words) goes to a
        # file, not to the instructor's terminal or the grader's log.
        self._log = open(self.kernel_log or os.path.join(self._folder, "kernel.log"), "ab")
        kw.update(preexec_fn=self._confine, pass_fds=() if self._seccomp_fd is None else (self._seccomp_fd,),
                  stdout=self._log, stderr=self._log)
        return await super()._async_pre_start_kernel(**kw)

    def _environment(self) -> dict:
        env = dict((self._launch_args or {}).get("env") or os.environ)
        env.update({k: os.environ[k] for k in self.kept_env if k in os.environ})
        return env

    def warm_key(self) -> warm.TemplateKey:
        """What this manager's kernels need of a warm sandbox (a kernel's own settings, such as
        NBGRADER_EXECUTION, are given to each forked kernel instead)."""
        env = {k: v for k, v in kernel_env(self._environment()).items() if k != "NBGRADER_EXECUTION"}
        return warm.TemplateKey(kernel_python(self.kernel_spec.argv), self.limits, tuple(sorted(env.items())))

    async def _pre_start_warm(self, **kw):
        """Prepare a kernel forked in this process's warm sandbox (grader.grading.warm): its
        folder and connection file there, its cgroups; WarmProvisioner launches it."""
        self.warm_sandbox = warm.sandbox_for(self.warm_key(), bwrap_command)
        self._folder = tempfile.mkdtemp(prefix="k-", dir=self.warm_sandbox.kernels)
        self.transport = "ipc"
        self.ip = os.path.join(self._folder, "kernel")
        self.connection_file = os.path.join(self._folder, "kernel.json")
        self.kernel_spec.interrupt_mode = "message"
        self._cgroup = Cgroup(f"grader-kernel-{uuid.uuid4().hex[:12]}", self.limits) if self.cgroups else None
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
        self.provisioner = warm.WarmProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    def fork_warm_kernel(self, launch: dict) -> warm.ForkedKernel:
        """The kernel, forked by the warm template in a copy of the notebook's folder, moved
        into its cgroups before it runs anything."""
        sandbox = self.warm_sandbox
        cwd = launch.get("cwd")
        if cwd and os.path.isdir(cwd):
            shutil.copytree(cwd, sandbox.work, symlinks=True, dirs_exist_ok=True)
        per_namespace = linux_version() >= (5, 14)   # see format_kernel_cmd
        pid = sandbox.request(
            "start", connection_file=self.connection_file, cwd=sandbox.work, log=os.path.join(self._folder, "kernel.log"),
            env=kernel_env(self._environment()), processes=self.process_limit if per_namespace else None,
            rlimits=[r for r in self.limits.rlimits() if r[0] != resource.RLIMIT_NPROC])["pid"]
        if self._cgroup is not None and self._cgroup.enforced:
            host = sandbox.host_pid(pid)
            if host is None:   # no /proc/PID/task/TID/children: as where cgroups cannot be made
                self.log.warning("The warm kernel's host PID is unknown: it runs with rlimits only")
            else:
                self._cgroup.add(host)
        sandbox.request("go", pid=pid)
        return warm.ForkedKernel(sandbox, pid)

    def _confine(self) -> None:
        """Between fork and exec of the process that becomes bwrap: join the cgroups and set
        the rlimits, which the kernel and all it starts inherit."""
        if self._cgroup is not None:
            self._cgroup.join()
        for which, soft, hard in self.limits.rlimits():
            if which != resource.RLIMIT_NPROC:   # counted per user: set inside the sandbox instead
                resource.setrlimit(which, (soft, hard))

    def format_kernel_cmd(self, extra_arguments=None):
        # RLIMIT_NPROC counts the processes of a user in one user namespace only since Linux
        # 5.14; before, or outside the sandbox, it would count all of the instructor's.
        per_namespace = self._sandboxed and linux_version() >= (5, 14)
        cmd = kernel_command(super().format_kernel_cmd(extra_arguments), self.process_limit if per_namespace else None)
        if not self._sandboxed or self.warm_sandbox is not None:   # a warm kernel is forked, not run
            return cmd
        return bwrap_command(cmd, self._launch_args.get("cwd") or os.getcwd(), self._folder, self._environment(),
                             self.limits, self._seccomp_fd)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        try:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:   # the kernel has its copies now
            if self._log is not None:
                self._log.close()
            if self._seccomp_fd is not None:
                os.close(self._seccomp_fd)
                self._seccomp_fd = None

    def limit_reached(self, outputs=()) -> LimitHit | None:
        """The limit the kernel reached, if any: from the cgroups' counters, how its process
        ended, or an error a limited call raised in the cell's `outputs`."""
        hit = self._cgroup.hit() if self._cgroup is not None else None
        process = getattr(self.provisioner, "process", None)
        if hit is None and process is not None:
            hit = self.limits.from_exit(process.poll())
        for out in outputs:
            if hit is None and out.get("output_type") == "error":
                hit = self.limits.from_error(out.get("ename", ""), str(out.get("evalue", "")))
        return hit

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            if self._cgroup is not None:
                self._cgroup.remove()
            if self.warm_sandbox is not None and self._folder:
                self._leave_warm_sandbox()
            if self._folder:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _leave_warm_sandbox(self) -> None:
        """After a warm kernel: nothing of it may reach the next one. The template kills every
        process left in the sandbox and empties /tmp; then the sandbox's folders are emptied
        here. Any failure throws the sandbox away (the next kernel gets a new one)."""
        sandbox, folder = self.warm_sandbox, self._folder
        if self.kernel_log:
            with contextlib.suppress(OSError), open(os.path.join(folder, "kernel.log"), "rb") as src, \
                    open(self.kernel_log, "ab") as dest:
                shutil.copyfileobj(src, dest, 1 << 20)
        self._folder = None
        try:
            sandbox.request("reset")
            sandbox.empty_folders()
        except warm.TemplateError:
            pass   # already thrown away
        except OSError as exc:
            self.log.warning("Could not empty the warm sandbox (%s); starting a new one", exc)
            sandbox.close()

    # nbclient calls `cleanup_resources` itself after a kernel died; AsyncKernelManager binds
    # that name to the base class's coroutine, which would skip the lines above.
    cleanup_resources = _async_cleanup_resources
