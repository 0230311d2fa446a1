"""A shared course server made of real Linux users, for the exchange and browser tests.

    with shared_server() as server:          # root only: creates the users, removes them after
        server.instructor("nbgrader", "release_assignment", "activations")
        server.student(0, "nbgrader", "fetch_assignment", "activations")

One instructor and two students, each a new Linux user with a private (0700) home, as on a
shared server or a JupyterHub; the instructor's course (the kit's source/ and
nbgrader_config.py) in the instructor's home; a real nbgrader exchange (`c.Exchange.root`,
mode 1777 as nbgrader's docs set it up); each student's ~/.jupyter/nbgrader_config.py names the
course and the exchange (README puts the same lines in /etc/jupyter/, which a test must not
touch), and the student's Jupyter settings switch nbgrader's instructor tools off (README: the
students share the instructor's venv, so at the user level). Commands run as those users (`runuser`) with the kit's Python (made runnable by them: `python_view`).
"""
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

from grader.instructor.demo import make_course
from tests.helpers import STUDENT_DISABLED_LABEXTENSIONS, STUDENT_SERVER_CONFIG

COURSE_ID = "dl-course"


def python_view(base):
    """A command prefix under which every user can run this venv's Python, or [] if they can
    already. A venv made from a Python under /root (as on the kit's machines, pyenv's) is not
    runnable by other users, and that interpreter has /root/... compiled in: so the command runs
    in a private mount namespace where /root is a world-readable folder holding only the
    interpreter's tree (nothing is changed outside the namespace; paths stay the same)."""
    path = os.path.realpath(sys.executable)
    ancestors = []
    while path != "/":
        path = os.path.dirname(path)
        ancestors.append(path)
    closed = [a for a in ancestors if not os.stat(a).st_mode & 0o001]
    if not closed:
        return []
    top = closed[-1]
    if top != "/root" or len(closed) > 1:
        pytest.fail(f"this venv's Python ({os.path.realpath(sys.executable)}) cannot be run by other "
                    f"users ({top} is private): build the venv from a Python all users can run")
    keep = ancestors[ancestors.index(top) - 1]   # e.g. /root/.pyenv
    view = os.path.join(base, "root-view")
    os.makedirs(os.path.join(view, os.path.basename(keep)))
    os.chmod(view, 0o755)
    script = 'mount --bind "$1" "$2/${1##*/}" && mount --rbind "$2" /root && shift 2 && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", keep, view]


class SharedServer:
    def __init__(self, base, suffix):
        self.base = base
        self.view = python_view(base)
        self.python = sys.executable
        self.exchange = os.path.join(base, "exchange")
        self.instructor_name = f"gkinst{suffix}"
        self.student_names = [f"gkstua{suffix}", f"gkstub{suffix}"]
        self.course = os.path.join(self.home(self.instructor_name), "course")

    def home(self, user):
        return os.path.join(self.base, "home", user)

    def as_user(self, user, cmd):
        """The command line that runs `cmd` as `user`, with a clean environment and the kit's
        Python first on PATH."""
        # Debian's PATH for users, after the course's venv (the grading sandbox's `bwrap` is in /usr/bin).
        env = {"HOME": self.home(user), "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
               "PATH": os.path.dirname(self.python) + ":/usr/local/bin:/usr/bin:/bin"}
        return [*self.view, "runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
                *self._python(cmd)]

    def run(self, user, *cmd, cwd=None, check=True, timeout=600):
        """Run `cmd` as `user` in `cwd` (default: their home). Returns the CompletedProcess."""
        proc = subprocess.run(self.as_user(user, cmd), cwd=cwd or self.home(user), capture_output=True,
                              text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{user}: {' '.join(cmd)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        return proc

    def instructor(self, *cmd, **kw):
        """`python -m ...` (or any command) as the instructor, in the course folder."""
        return self.run(self.instructor_name, *cmd, cwd=kw.pop("cwd", self.course), **kw)

    def student(self, index, *cmd, **kw):
        return self.run(self.student_names[index], *cmd, **kw)

    @contextlib.contextmanager
    def lab(self, user, cwd=None):
        """JupyterLab run by `user` in `cwd` (default: their home) on 127.0.0.1 with a token, as
        on a JupyterHub; yields its URL with the token. Stopped (its process group) on exit."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        token = secrets.token_hex(16)
        settings = os.path.join(self.home(user), ".jupyter", "lab", "user-settings", "@jupyterlab",
                                "apputils-extension")
        os.makedirs(settings, exist_ok=True)   # no "get Jupyter news?" pop-up, no update check
        with open(os.path.join(settings, "notification.jupyterlab-settings"), "w") as f:
            json.dump({"fetchNews": "false", "checkForUpdates": False}, f)
        subprocess.run(["chown", "-R", f"{user}:", os.path.join(self.home(user), ".jupyter")], check=True)
        log_path = os.path.join(self.base, f"lab-{user}.log")
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                self.as_user(user, ["jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                                    "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]),
                cwd=cwd or self.home(user), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    with open(log_path) as f:
                        raise AssertionError(f"JupyterLab for {user} did not start:\n{f.read()[-3000:]}")
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                    break
                except OSError:
                    time.sleep(0.5)
            yield url, token
        finally:
            stop_group(server, signal.SIGTERM)   # the group this test started: runuser, lab, kernels
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop_group(server, signal.SIGKILL)
                server.wait()

    def python_as(self, user, code):
        """Run Python `code` as `user`; it prints one JSON value, which is returned."""
        return json.loads(self.run(user, self.python, "-c", code).stdout)

    def _python(self, cmd):
        # `nbgrader ...` is run as `python -m nbgrader ...` with the course's interpreter.
        if cmd and cmd[0] == "jupyter":   # `jupyter labextension ...`: the venv's, by its path
            return [os.path.join(os.path.dirname(self.python), "jupyter"), *cmd[1:]]
        return [self.python, "-m", *cmd] if cmd and cmd[0] in ("nbgrader", "grader", "jupyterlab") else list(cmd)


def stop_group(process, sig):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _useradd(name, home):
    subprocess.run(["useradd", "--home-dir", home, "--create-home", "--shell", "/bin/bash",
                    "--user-group", name], check=True, capture_output=True)
    os.chmod(home, 0o700)   # a shared server's homes are private (Debian's default is 0755)


@contextlib.contextmanager
def shared_server(course_config=""):
    """The server (see module docstring); `course_config` is appended to the instructor's
    nbgrader_config.py. Users and folders are removed afterwards, whatever happened."""
    if os.geteuid() != 0:
        pytest.fail("the shared-server tests create Linux users: run them as root (CI does)")
    base = tempfile.mkdtemp(prefix="grader-shared-server-")
    os.chmod(base, 0o755)   # every user walks through it to their home and the exchange
    made = []
    try:
        server = SharedServer(base, secrets.token_hex(3))
        os.makedirs(os.path.join(base, "home"), mode=0o755)
        os.makedirs(server.exchange)
        os.chmod(server.exchange, 0o1777)
        for user in [server.instructor_name, *server.student_names]:
            _useradd(user, server.home(user))
            made.append(user)
        make_course(server.course)
        with open(os.path.join(server.course, "nbgrader_config.py"), "a") as f:
            f.write(f"\n# The shared server's exchange (tests/shared_server.py)\n"
                    f"c.Exchange.root = {server.exchange!r}\n{course_config}\n")
        subprocess.run(["chown", "-R", f"{server.instructor_name}:", server.course], check=True)
        for user in server.student_names:
            config_dir = os.path.join(server.home(user), ".jupyter")
            os.makedirs(config_dir)
            with open(os.path.join(config_dir, "nbgrader_config.py"), "w") as f:
                f.write(f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
                        f"c.Exchange.root = {server.exchange!r}\n")
            with open(os.path.join(config_dir, "jupyter_server_config.json"), "w") as f:
                json.dump(STUDENT_SERVER_CONFIG, f)
            subprocess.run(["chown", "-R", f"{user}:", config_dir], check=True)
            # README: students see no instructor tools (formgrader, create assignment, course list).
            server.run(user, "jupyter", "labextension", "disable", "--level=user", *STUDENT_DISABLED_LABEXTENSIONS)
        yield server
    finally:
        for user in made:
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
