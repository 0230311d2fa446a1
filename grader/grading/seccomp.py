"""A seccomp filter for the grading kernel, built with libseccomp (the library behind Docker's,
systemd's and Flatpak's filters; Debian's `libseccomp2`, loaded with ctypes: no Python binding
to install) and handed to bubblewrap as BPF (`bwrap --seccomp FD`).

It refuses (EPERM) the calls a student would need to undo the sandbox or look past it:
mounting, chroot/pivot_root, new namespaces, tracing or reading other processes, kernel
keyrings, BPF, loading kernel modules. The sandbox does not rely on it (no capabilities, no new
user namespaces, a root made with pivot_root already stop these); it is one more wall.
Without libseccomp the kernel runs without the filter, and `available()` says so.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
import tempfile

BLOCKED_SYSCALLS = (
    "mount", "umount", "umount2", "mount_setattr", "move_mount", "open_tree", "fsopen", "fsmount",
    "fsconfig", "fspick", "chroot", "pivot_root", "unshare", "setns", "ptrace", "process_vm_readv",
    "process_vm_writev", "kcmp", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    "userfaultfd", "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "open_by_handle_at", "name_to_handle_at", "quotactl", "swapon", "swapoff", "reboot",
    "acct", "syslog",
)
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_ERRNO = 0x00050000


@functools.lru_cache(maxsize=1)
def _library():
    name = ctypes.util.find_library("seccomp")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def available() -> bool:
    return _library() is not None


@functools.lru_cache(maxsize=1)
def bpf_program() -> bytes:
    """The filter as a BPF program for this machine's architecture (b"" without libseccomp)."""
    lib = _library()
    if lib is None:
        return b""
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    try:
        for name in BLOCKED_SYSCALLS:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number >= 0:   # not every call exists on every architecture
                if lib.seccomp_rule_add(ctx, SCMP_ACT_ERRNO | errno.EPERM, number, 0) != 0:
                    raise OSError(f"libseccomp refused a rule for {name}")
        with tempfile.TemporaryFile() as f:
            if lib.seccomp_export_bpf(ctx, f.fileno()) != 0:
                raise OSError("libseccomp could not export the filter")
            f.seek(0)
            return f.read()
    finally:
        lib.seccomp_release(ctx)


def program_fd() -> int | None:
    """A readable file descriptor holding the filter (for `bwrap --seccomp FD`); the caller
    closes it. None without libseccomp."""
    program = bpf_program()
    if not program:
        return None
    read, write = os.pipe()   # a filter is a few hundred bytes: it fits in the pipe's buffer
    os.write(write, program)
    os.close(write)
    return read
