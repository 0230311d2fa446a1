"""The intake: what of a submitted folder nbgrader may read, copy and grade.

nbgrader copies a submission with `shutil.copy`, which follows symbolic links and opens
whatever it finds: a link to `../../../source/<a>/<a>.ipynb`, the gradebook or /etc/passwd
puts that file into autograded/ and feedback/, a FIFO hangs the copy, a link to /dev/zero
fills the disk, and a notebook that links to another student's notebook gets that student's
score. nbgrader's `pre_convert_hook` runs before it copies anything, so the intake runs there
(nbgrader_config.py installs an `Intake` as `Autograde.pre_convert_hook`), and the kit's
parallel front end runs the same intake before it fingerprints and dispatches a submission.

The intake only ever calls `lstat`, `readlink` and `rename` on what it leaves out: it never
follows, opens or reads it. Symbolic links (also a linked submission or student folder),
FIFOs, sockets, devices and files over the size cap are moved, unread, to
`left_out/<the submission's path>/files/` in the course, with `intake.json` saying what and
why; nothing is deleted. A notebook left out is replaced by an empty stand-in notebook, so the
student still gets a recorded score (their restored test cells score 0) and feedback that
says why (the sanitize step's `NoteLeftOutFiles` reads intake.json). The student is graded on
the rest. Hard links are graded as the files they are: the intake cannot tell a student's hard
link from a `cp -al` backup of submitted/, which makes every file one.

Student ids: nbgrader uses ids as glob patterns (`star*` also grades `stark`), strips
whitespace around `--student` ids and never matches ids that begin with `.`. `id_problem`
names what makes an id unsafe; both front ends refuse such a submission with that reason.
"""
import glob
import json
import os
import stat
from dataclasses import asdict, dataclass

import nbformat
from traitlets import Integer
from traitlets.config import LoggingConfigurable

LEFT_OUT = "left_out"          # the course folder the intake moves what it leaves out to
MANIFEST = "intake.json"
MB = 2 ** 20

# Why an entry was left out (LeftOut.kind); the wording for people is in `describe`.
SYMLINK, FIFO, SOCKET, DEVICE, TOO_BIG, OTHER = "symlink", "fifo", "socket", "device", "too_big", "other"


@dataclass(frozen=True)
class LeftOut:
    """One entry of a submission that was not read, copied or graded."""
    path: str          # relative to the submission folder ("." for itself, ".." for the student's folder)
    kind: str          # one of the kinds above
    detail: str = ""   # the link's target, or the size in bytes
    limit: int = 0     # the size limit that applied


def describe(entry: LeftOut, quote=repr) -> str:
    """Why `entry` was left out, for the student's notes and the instructor's summary; `quote`
    shows the student-chosen names (the path, a link's target)."""
    what = {".": "the submission folder itself", "..": "the student's folder"}.get(entry.path) or quote(entry.path)
    if entry.kind == SYMLINK:
        return f"{what} is a symbolic link (to {quote(entry.detail)}); links are never followed"
    if entry.kind == TOO_BIG:
        return f"{what} is {int(entry.detail) / MB:.1f} MB, over the limit of {entry.limit / MB:.1f} MB per file"
    reasons = {FIFO: "is a named pipe (FIFO), not a file", SOCKET: "is a socket, not a file",
               DEVICE: "is a device, not a file", OTHER: "is not a regular file or folder"}
    return f"{what} {reasons[entry.kind]}"


def id_problem(student: str) -> str:
    """Why nbgrader cannot grade `student` exactly as named ("" if it can)."""
    if student.startswith("."):
        return "begins with '.', which nbgrader never matches (its `*` skips hidden names)"
    if any(c in student for c in "*?[]"):
        return "holds *, ? or [ ], which nbgrader reads as a pattern (it would grade other students' folders too)"
    if student != student.strip():
        return "begins or ends with whitespace, which nbgrader strips from student ids"
    if any(not c.isprintable() for c in student):
        return "holds a control character (a newline or tab), which nbgrader cannot parse"
    return ""


def student_glob(student: str) -> str:
    """`student` as the glob pattern nbgrader's `--student` takes: matching that id only."""
    return glob.escape(student)


class Intake(LoggingConfigurable):
    """nbgrader's pre_convert_hook (and the front end's first step): make a submission safe to
    copy and grade. See the module's docstring."""

    max_file_bytes = Integer(50 * MB, help="files (notebooks too) larger than this are left out, unread; "
                                           "reading a notebook takes ~10x its size in memory").tag(config=True)

    # ------------------------------------------------------------------ nbgrader's hook
    def __call__(self, assignment=None, student=None, notebooks=None, **_):
        """Called by nbgrader before it copies a submission, with the (mutable) list of the
        notebooks it is about to grade. nbgrader logs and ignores an exception raised here, so
        whatever goes wrong ends with an empty list: nothing of this submission is graded."""
        try:
            self._hook(notebooks)
        except Exception:
            self.log.exception("The intake failed; this submission is not graded")
            notebooks[:] = []

    def _hook(self, notebooks):
        root = os.getcwd()     # nbgrader runs converters in the course root
        folders = sorted({os.path.dirname(n) for n in notebooks})
        self._warn_about_hidden_ids(folders)
        for folder in folders:
            student = os.path.basename(os.path.dirname(folder))
            problem = id_problem(student)
            if problem:
                self.log.error("Not graded: student id %r %s; rename the folder", student, problem)
                notebooks[:] = []
                return
        for folder in folders:
            left = self.take_in(root, folder, [os.path.basename(n) for n in notebooks if os.path.dirname(n) == folder])
            for entry in left:
                self.log.warning("Left out of %s: %s", os.path.relpath(folder, root), describe(entry))

    _warned = set()

    def _warn_about_hidden_ids(self, folders):
        """nbgrader's `*` never matches `.hidden`: say so, once per folder and process."""
        for folder in folders:
            submitted, assignment = os.path.dirname(os.path.dirname(folder)), os.path.basename(folder)
            for name in sorted(os.listdir(submitted)):
                path = os.path.join(submitted, name, assignment)
                if name.startswith(".") and os.path.isdir(path) and path not in self._warned:
                    self._warned.add(path)
                    self.log.error("Not graded: student id %r %s; rename the folder", name, id_problem(name))

    # ------------------------------------------------------------------ the intake itself
    def take_in(self, root: str, folder: str, notebooks=()) -> list:
        """Leave out, unread, what must not be copied from the submission `folder` (in course
        `root`); `notebooks` are the notebook names to stand in for if the folder itself is a
        link. Returns every LeftOut of this submission so far (this run's and earlier ones)."""
        store = left_out_folder(root, folder)
        found, stand_ins = [], []
        for level in (os.path.dirname(folder), folder):      # a linked student or submission folder
            if os.path.islink(level):
                found.append(LeftOut("." if level == folder else "..", SYMLINK, os.readlink(level)))
                self._move(level, os.path.join(store, "files", os.path.basename(level)))
                os.makedirs(folder)
                stand_ins += list(notebooks)
                break
        inside = list(self.scan(folder))
        for entry in inside:
            self._move(os.path.join(folder, entry.path), os.path.join(store, "files", entry.path))
        stand_ins += [e.path for e in inside if e.path.endswith(".ipynb") and os.sep not in e.path]
        for name in stand_ins:
            write_stand_in(os.path.join(folder, name))
        return record(store, found + inside)

    def scan(self, folder: str, prefix: str = ""):
        """The LeftOuts in `folder`, found with lstat only (nothing is followed or opened)."""
        with os.scandir(folder) as entries:
            for item in sorted(entries, key=lambda e: e.name):
                rel = os.path.join(prefix, item.name)
                info = item.stat(follow_symlinks=False)
                mode = info.st_mode
                if stat.S_ISDIR(mode):
                    yield from self.scan(item.path, rel)
                elif stat.S_ISLNK(mode):
                    yield LeftOut(rel, SYMLINK, os.readlink(item.path))
                elif stat.S_ISFIFO(mode):
                    yield LeftOut(rel, FIFO)
                elif stat.S_ISSOCK(mode):
                    yield LeftOut(rel, SOCKET)
                elif stat.S_ISBLK(mode) or stat.S_ISCHR(mode):
                    yield LeftOut(rel, DEVICE)
                elif not stat.S_ISREG(mode):
                    yield LeftOut(rel, OTHER)
                elif info.st_size > self.max_file_bytes:
                    yield LeftOut(rel, TOO_BIG, str(info.st_size), self.max_file_bytes)

    def _move(self, path, dest):
        """Rename `path` (never followed) to `dest`, or beside it if an earlier run put one there."""
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        final, n = dest, 1
        while os.path.lexists(final):
            final, n = f"{dest}.{n}", n + 1
        os.rename(path, final)


def left_out_folder(root: str, folder: str) -> str:
    """Where the intake keeps what it left out of submission `folder`."""
    return os.path.join(root, LEFT_OUT, os.path.relpath(os.path.abspath(folder), os.path.abspath(root)))


def write_stand_in(path: str) -> None:
    """An empty notebook in place of one that was left out: nbgrader adds back the test cells
    (OverwriteCells.add_missing_cells) and they score 0, with the reason in the notes."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["grader"] = {"stand_in": True}
    nbformat.write(nb, path)


def record(store: str, found: list) -> list:
    """Add `found` to the submission's intake.json; return everything in it."""
    path = os.path.join(store, MANIFEST)
    known = read_manifest(store)
    new = [e for e in found if e not in known]
    if new:
        os.makedirs(store, exist_ok=True)
        with open(path + ".tmp", "w") as f:
            json.dump([asdict(e) for e in known + new], f, indent=1)
        os.replace(path + ".tmp", path)
    return known + new


def read_manifest(store: str) -> list:
    try:
        with open(os.path.join(store, MANIFEST)) as f:
            return [LeftOut(**e) for e in json.load(f)]
    except FileNotFoundError:
        return []


def configured(config) -> Intake:
    """The course's Intake (its nbgrader_config.py's Autograde.pre_convert_hook), or a default one."""
    hook = config.get("Autograde", {}).get("pre_convert_hook")
    return hook if isinstance(hook, Intake) else Intake()
