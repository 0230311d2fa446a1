"""The grading kernel's sandbox: it sees the system, Python and its own folder; nothing else.

nbgrader starts the student's kernel as an ordinary process of the instructor: it could read
`source/` (solutions, hidden tests), other students' work, any other copy of the course on
the machine and the reference bank, and write `gradebook.db`. `SandboxedKernelManager` starts
it instead inside new user, mount and PID namespaces (util-linux `unshare`; works for root
and, where user namespaces are enabled, for ordinary users), chrooted into a tree built from
an allow-list:
- the system folders (/usr, /etc, ...) and the Python environment and grader code, read-only;
- the submission's own folder, read-write, at its usual path; a private /tmp and /proc;
- nothing else: not the course root, not home folders, not other courses or students;
- the reference bank and the reference libraries (torch, scipy, jax, tensorflow) are covered by
  empty read-only folders, and `grader.grading.kernel` refuses to import them with a clear message.
The new PID namespace also means no other process (nbgrader's, say) is visible in /proc.
"""
import functools
import importlib.util
import os
import shlex
import subprocess
import sys

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool

BLOCKED_PACKAGES = ("torch", "scipy", "jax", "tensorflow")
GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the grader package
# setpriv --pdeathsig: if the grader dies (killed, crashed), its kernels die with it. Without it
# they would live on: the kernel is the first process of its PID namespace, so it never sees
# the grader go (ipykernel watches for its parent becoming PID 1).
UNSHARE = ["setpriv", "--pdeathsig", "KILL",
           "unshare", "--user", "--map-root-user", "--mount", "--propagation", "private",
           "--pid", "--fork", "--kill-child", "--mount-proc"]


def package_dirs(names=BLOCKED_PACKAGES):
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


SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def _connection_file(cmd):
    return next((cmd[i + 1] for i, c in enumerate(cmd[:-1]) if c == "-f"), None)


def mount_script(workdir, cmd):
    """The shell script run inside the namespaces: build the allow-listed tree, chroot into it
    and start the kernel in its folder."""
    q = shlex.quote
    workdir = os.path.realpath(workdir)
    read_only = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, GRADER_DIR)}
    connection = _connection_file(cmd)
    hide = [os.path.join(GRADER_DIR, "bank")] + package_dirs()
    mpl_cache = os.environ.get("MPLCONFIGDIR") or os.path.expanduser("~/.cache/matplotlib")
    lines = ["set -e", "new=$(mktemp -d)", 'mount -t tmpfs -o mode=755 grader-root "$new"']
    for d in SYSTEM_DIRS:
        lines.append(f'if [ -L {d} ]; then cp -P {d} "$new{d}"; elif [ -d {d} ]; then mkdir -p "$new{d}"; '
                     f'mount --rbind {d} "$new{d}"; mount -o remount,bind,ro "$new{d}"; fi')
    lines += ['mkdir -p "$new/dev" "$new/proc" "$new/tmp"', 'mount --rbind /dev "$new/dev"',
              'mount -t proc proc "$new/proc"', 'mount -t tmpfs -o mode=1777 grader-tmp "$new/tmp"']
    for path in sorted(read_only):
        lines += [f'mkdir -p "$new"{q(path)}', f'mount --bind {q(path)} "$new"{q(path)}',
                  f'mount -o remount,bind,ro "$new"{q(path)}']
    if connection:
        lines += [f'mkdir -p "$new"{q(os.path.dirname(connection))}', f'touch "$new"{q(connection)}',
                  f'mount --bind {q(connection)} "$new"{q(connection)}']
    lines += [f'mkdir -p "$new"{q(workdir)}', f'mount --bind {q(workdir)} "$new"{q(workdir)}']
    for path in hide:
        lines.append(f'if [ -d "$new"{q(path)} ]; then mount -t tmpfs -o ro,size=4k grader-hidden "$new"{q(path)}; fi')
    # matplotlib rebuilds its font list in an empty config folder (seconds): give it a copy
    lines.append(f'cp -r {q(mpl_cache)} "$new/tmp/matplotlib" 2>/dev/null || mkdir -p "$new/tmp/matplotlib"')
    inner = f"cd {q(workdir)} && exec " + " ".join(q(c) for c in cmd)
    lines.append('exec chroot "$new" /usr/bin/env HOME=/tmp MPLCONFIGDIR=/tmp/matplotlib '
                 f'IPYTHONDIR=/tmp/ipython sh -c {q(inner)}')
    return "\n".join(lines)


@functools.lru_cache(maxsize=1)
def unavailable_reason():
    """Why the sandbox cannot be made on this machine, or "" if it can."""
    try:
        proc = subprocess.run(UNSHARE + ["sh", "-c", "mount -t tmpfs probe /mnt"], capture_output=True,
                              text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run unshare ({exc})"
    return "" if proc.returncode == 0 else f"unshare failed: {proc.stderr.strip()[:300]}"


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the grading kernel inside the sandbox (see module docstring)."""

    required = Bool(True, help="refuse to grade if the sandbox cannot be made (if False, grade "
                               "unsandboxed with a warning: students could then read solutions)").tag(config=True)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        # ipykernel_launcher -> grader.grading.kernel: the same kernel, with the reference libraries blocked
        cmd = ["grader.grading.kernel" if c == "ipykernel_launcher" else c for c in cmd]
        reason = unavailable_reason()
        if reason:
            if self.required:
                raise RuntimeError(f"grading sandbox unavailable: {reason}. Set "
                                   "c.SandboxedKernelManager.required = False to grade without it.")
            self.log.warning("Grading WITHOUT the sandbox (%s): students' code can read the course.", reason)
            return cmd
        workdir = self._launch_args.get("cwd") or os.getcwd()
        return UNSHARE + ["sh", "-c", mount_script(workdir, cmd)]
