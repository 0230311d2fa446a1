# sniffer: graded beside other students (`python -m grader autograde --jobs 2`), it looks for the
# other kernels and any network: TCP/UDP listeners in /proc/net, other kernels' ZeroMQ socket
# files, and a connection to every TCP port of 127.0.0.1 and to outside addresses. Anything it
# hears would be another student's code (execute_input messages on their iopub channel); in
# the sandbox it hears nothing: its network namespace has no interface up, and its private
# folder holds only its own sockets. Every cell reports what it tried and scores 0.
import glob
import os
import socket
import time

import numpy as np  # noqa: F401
from ipykernel.connect import get_connection_file

EXPECTED_REASONS = {"test_sigmoid": "heard nothing", "test_sigmoid_grad": "heard nothing",
                    "test_softmax": "heard nothing", "test_log_softmax": "heard nothing"}


def _own_sockets():
    """Inodes of this process's own sockets (ipykernel listens on a loopback port of its own,
    for its subprocesses' output: in this namespace only this kernel can reach it)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def _listeners():
    """Sockets listed in this namespace's /proc/net tables (TCP listening, UDP bound), other
    than its own."""
    found, own = [], _own_sockets()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"/proc/net/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        found += [f"{table} {row.split()[1]}" for row in rows
                  if (table.startswith("udp") or row.split()[3] == "0A") and row.split()[9] not in own]
    return found


def _others_sockets():
    """Unix sockets and kernel folders that are not this kernel's own."""
    # Its own folder: where its connection file is (a cold kernel's /tmp/grader-kernel-*, or
    # a warm one's kernels/k-* in its sandbox's folder).
    own = {os.path.dirname(os.path.abspath(p)) for p in glob.glob("/tmp/grader-kernel-*/kernel.json")}
    own.add(os.path.dirname(os.path.abspath(get_connection_file())))
    folders = (set(glob.glob("/tmp/grader-kernel-*")) | set(glob.glob("/tmp/*/kernel-*"))
               | set(glob.glob("/tmp/grader-warm-*/kernels/*")))
    seen = [f for f in folders if f not in own and not any(f.startswith(o) for o in own)]
    with open("/proc/net/unix") as f:
        paths = [row.split()[-1] for row in f.read().splitlines()[1:] if len(row.split()) > 7]
    return seen + [p for p in paths if p.startswith("/") and not any(p.startswith(o) for o in own)]


def _own_ports():
    own, ports = _own_sockets(), set()
    with open("/proc/net/tcp") as f:
        for row in f.read().splitlines()[1:]:
            if row.split()[9] in own:
                ports.add(int(row.split()[1].split(":")[1], 16))
    return ports


def _connections():
    """Every TCP port of 127.0.0.1 (but its own), and a few outside addresses, that accept a
    connection (a connection to itself, which TCP allows when the port it picks to connect
    from is the one it connects to, does not count)."""
    opened, own = [], _own_ports()
    targets = [("127.0.0.1", port) for port in range(1, 65536)] + [("8.8.8.8", 53), ("1.1.1.1", 443), ("10.0.0.1", 80)]
    for host, port in targets:
        with socket.socket() as s:
            s.settimeout(0.2)
            if port not in own and s.connect_ex((host, port)) == 0 and s.getsockname() != s.getpeername():
                opened.append(f"{host}:{port}")
    return opened


def _sniff():
    heard = []
    for _ in range(3):   # a few times, while other kernels run beside it
        heard += _listeners() + _others_sockets()
        time.sleep(0.1)
    heard += _connections()
    if heard:
        return f"HEARD: {sorted(set(heard))[:10]}"
    return "heard nothing: no listener, no other kernel, no network"


# Swept once, when its first cell runs (grade() gives each call only 2 s).
_HEARD = _sniff()


def sigmoid(x):
    raise RuntimeError(_HEARD)


def sigmoid_grad(x):
    raise RuntimeError(_HEARD)


def softmax(x, axis=-1):
    raise RuntimeError(_HEARD)


def log_softmax(x, axis=-1):
    raise RuntimeError(_HEARD)
