"""The course secret: what makes each student's grading inputs unknowable to students.

While autograding, every check draws its inputs from a generator seeded by (course secret,
student id, assignment, check) (grader.engine.inputs). The secret is 32 random bytes, written
as hex by `python -m grader secret` to a file outside the course folder, so that it is never
released, committed with the course, or copied into autograded/ or feedback:

    c.CourseSecret.path = "~/.config/dl-grader/{course_id}.secret"     # nbgrader_config.py

or given as hex in the environment variable DL_GRADER_SECRET (which wins over the file).
Grading without it stops with SecretError (one line naming the command that makes it): it
never falls back to public inputs. A new secret (`python -m grader secret --rotate`) gives
every student new inputs; `python -m grader autograde` then regrades everyone (its marker of
a graded submission names the secret it was graded with, by a one-way digest).
"""
import hashlib
import os
import secrets

from traitlets import Unicode
from traitlets.config import Configurable

ENV_VAR = "DL_GRADER_SECRET"
SECRET_BYTES = 32
MIN_BYTES = 16
MAKE_IT = "run `python -m grader secret` in the course root to make one"


class SecretError(Exception):
    """No usable course secret; the message is one line for the instructor."""


class CourseSecret(Configurable):
    """Where the course secret lives (see the module's docstring)."""

    path = Unicode("~/.config/dl-grader/{course_id}.secret",
                   help="File holding the course secret as hex, outside the course folder ({course_id} is "
                        "replaced by the course's id). The environment variable DL_GRADER_SECRET, if set, "
                        "is used instead.").tag(config=True)

    def _course(self):
        course = self.config.get("CourseDirectory", {})
        root = os.path.abspath(os.path.expanduser(course.get("root") or "."))
        return root, course.get("course_id") or "default_course"

    def file(self) -> str:
        """The secret file's absolute path."""
        root, course_id = self._course()
        path = os.path.expanduser(self.path.format(course_id=course_id))
        return os.path.abspath(os.path.join(root, path))

    def check_outside_course(self, path: str) -> None:
        root, _ = self._course()
        real, real_root = os.path.realpath(path), os.path.realpath(root)
        if os.path.commonpath([real, real_root]) == real_root:
            raise SecretError(f"the course secret file {path} is inside the course folder {root}, where it "
                              "could be released or committed: set c.CourseSecret.path in nbgrader_config.py "
                              "to a file outside it")

    def load(self) -> bytes:
        """The secret's bytes; SecretError if there is none or it is unusable."""
        if os.environ.get(ENV_VAR):
            return _parse(os.environ[ENV_VAR], f"${ENV_VAR}")
        path = self.file()
        self.check_outside_course(path)
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            raise SecretError(f"no course secret at {path}: {MAKE_IT} (or set {ENV_VAR}); grading never "
                              "falls back to public inputs") from None
        except OSError as exc:
            raise SecretError(f"cannot read the course secret {path}: {exc.strerror}") from None
        return _parse(text, path)

    def create(self, rotate: bool = False) -> tuple:
        """Write a new secret file (only if there is none, or with `rotate`): (path, made)."""
        path = self.file()
        self.check_outside_course(path)
        if os.path.exists(path) and not rotate:
            return path, False
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(SECRET_BYTES) + "\n")
        os.replace(tmp, path)
        return path, True


def _parse(text: str, where: str) -> bytes:
    try:
        value = bytes.fromhex(text.strip())
    except ValueError:
        raise SecretError(f"the course secret in {where} is not hex; {MAKE_IT}") from None
    if len(value) < MIN_BYTES:
        raise SecretError(f"the course secret in {where} is too short ({len(value)} bytes, at least {MIN_BYTES})")
    return value


def load_secret(config) -> bytes:
    """The course secret named by an nbgrader configuration (or the environment)."""
    return CourseSecret(config=config).load()


def secret_id(secret: bytes) -> str:
    """A one-way name for a secret (which secret graded a submission), revealing nothing of it."""
    return hashlib.sha256(b"dl-grader secret id\0" + secret).hexdigest()[:16]
