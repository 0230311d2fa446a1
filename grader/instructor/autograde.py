"""`python -m grader autograde ASSIGNMENT --jobs N`: grade a cohort fast, safely and resumably.

Each submission is graded by nbgrader's own Autograde converter (through `NbGraderAPI`, so the
course's nbgrader_config.py, the kit's pipeline and the sandbox apply exactly as in `nbgrader
autograde`), one student per task, N tasks at a time:
- workers are long-lived processes: nbgrader and the judge are imported, and torch's and
  matplotlib's first-use costs paid, once (before the local workers fork), not once per
  submission; meanwhile one warm kernel sandbox per local worker starts on the other core, and
  each worker takes one when it starts; with `--scheduler` they are the workers of a Dask
  distributed cluster instead, on this machine or others that share the course folder (they
  warm up on their first submission);
- gradebook writes are short and each one waits for the database's lock: SQLite's busy timeout
  is raised so concurrent writers queue instead of failing with 'database is locked';
  PostgreSQL (`--db-url`, nbgrader's db_url) for many workers or several machines;
- resumable: a submission counts as graded only when its autograded folder holds DONE_MARKER
  with the fingerprint of the submitted files, written after nbgrader has saved its grades.
  nbgrader deletes that folder before regrading, so a submission cut off half-way has no marker
  and is graded again, and nbgrader's update-or-create never duplicates a grade row;
- failures are collected, with a one-line reason and the submission's full nbgrader log;
- submissions are untrusted: student folders are found by exact name (nbgrader would read
  `star*` as a pattern), ids nbgrader cannot grade exactly are refused by name with the reason,
  and the intake (grader/grading/intake.py, also nbgrader's pre_convert_hook) leaves out, unread,
  links, pipes, devices and oversized files before anything is fingerprinted or copied; the
  summary lists both.
"""
import contextlib
import copy
import fcntl
import functools
import gc
import hashlib
import json
import os
import re
import signal
import stat
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from grader.grading import intake
from grader.grading.secret import secret_id

DONE_MARKER = ".grader-autograded.json"
SQLITE_WAIT_SECONDS = 300   # how long a gradebook write may queue behind others' writes


MISSING_EXTRA = "the kit was installed without its grading extra: pip install 'dl-grader-kit[grading]'"


class AutogradeError(Exception):
    """Bad input: the message is for the instructor, one line."""


@dataclass
class Result:
    student: str
    ok: bool
    seconds: float = 0.0
    reason: str = ""
    log: str = field(default="", repr=False)


# ---------------------------------------------------------------- the course and its submissions

def gradebook_url(root: str, db_url: str | None = None) -> str:
    """The gradebook's SQLAlchemy URL: `db_url`, else the course's configured one. SQLite URLs
    get a long busy timeout, so that parallel writers wait for each other."""
    url = (db_url or course_config(root).get("CourseDirectory", {}).get("db_url")
           or f"sqlite:///{os.path.join(root, 'gradebook.db')}")
    if url.startswith("sqlite") and "timeout=" not in url:
        url += ("&" if "?" in url else "?") + f"timeout={SQLITE_WAIT_SECONDS}"
    return url


@functools.lru_cache(maxsize=None)
def course_config(root: str) -> dict:
    """nbgrader's configuration as `nbgrader` run in `root` would load it (once per process:
    the front end asks for the URL and course id, workers build their API from it). Callers
    must not change it."""
    from nbgrader.apps import NbGrader
    here = os.getcwd()
    os.chdir(root)   # nbgrader reads nbgrader_config.py from the current folder
    try:
        app = NbGrader()
        app.load_config_file()
        return app.config
    finally:
        os.chdir(here)


def course_settings(root: str):
    """A copy of the course's configuration, with its root made absolute (what the course
    secret and nbgrader's API are resolved against)."""
    config = copy.deepcopy(course_config(root))
    config.CourseDirectory.root = os.path.abspath(root)
    return config


def course_secret(root: str) -> bytes:
    """The course secret (AutogradeError, one line, if there is none: never public inputs)."""
    from grader.grading.secret import SecretError, load_secret
    try:
        return load_secret(course_settings(root))
    except SecretError as exc:
        raise AutogradeError(str(exc)) from None


def course_id(root: str) -> str:
    return course_config(root).get("CourseDirectory", {}).get("course_id", "default_course")


FINGERPRINT_READ_BYTES = 64 * 2 ** 20   # larger files are fingerprinted by size and mtime


def fingerprint(folder: str) -> str:
    """A hash of a submission: every entry's name, and the bytes of its regular files. Nothing
    is followed or opened but regular files (a FIFO would hang, a link to /dev/zero never end):
    a link counts by its target's name, anything else by its kind."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(folder)):    # os.walk does not follow links
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            digest.update(os.path.relpath(path, folder).encode(errors="surrogateescape") + b"\0")
            if stat.S_ISLNK(info.st_mode):
                digest.update(b"link:" + os.readlink(path).encode(errors="surrogateescape"))
            elif not stat.S_ISREG(info.st_mode):
                digest.update(f"kind:{stat.S_IFMT(info.st_mode)}".encode())
            elif info.st_size > FINGERPRINT_READ_BYTES:
                digest.update(f"size:{info.st_size}:{info.st_mtime_ns}".encode())
            else:
                with open(path, "rb") as f:
                    digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def submissions(root: str, assignment: str) -> dict[str, str]:
    """{student: submitted folder} of every folder in submitted/ that holds `assignment`, by
    exact name (no pattern matching; hidden names too: `refused` says which cannot be graded)."""
    base = os.path.join(root, "submitted")
    names = sorted(os.listdir(base)) if os.path.isdir(base) else []
    return {name: os.path.join(base, name, assignment) for name in names
            if os.path.lexists(os.path.join(base, name, assignment))}


def refused(student: str, folder: str) -> str:
    """Why this submission cannot be graded ("" if it can)."""
    problem = intake.id_problem(student)
    if problem:
        return f"student id {problem}; rename the folder"
    if not os.path.isdir(folder) and not os.path.islink(folder):
        return f"submitted/{student}/{os.path.basename(folder)} is not a folder"
    return ""


def marker_path(root: str, assignment: str, student: str) -> str:
    return os.path.join(root, "autograded", student, assignment, DONE_MARKER)


def is_graded(root: str, assignment: str, student: str, print_: str, secret: str = "") -> bool:
    """Whether this exact submission was already graded to the end, with the course secret
    named `secret` (secret_id: after a new secret, every student is graded again)."""
    try:
        with open(marker_path(root, assignment, student)) as f:
            marker = json.load(f)
        return marker.get("fingerprint") == print_ and marker.get("secret", "") == secret
    except (OSError, ValueError, AttributeError):
        return False


def check_root(root: str) -> None:
    if not os.path.isdir(root):
        raise AutogradeError(f"no such folder: {root}")
    if not os.path.isfile(os.path.join(root, "nbgrader_config.py")):
        raise AutogradeError(f"{root} is not a course root (no nbgrader_config.py); run this in the "
                             "course root or pass --root")


def check_course(root: str, assignment: str, url: str) -> None:
    """Clear errors for a course that cannot be graded, before any worker starts."""
    if not submissions(root, assignment):
        raise AutogradeError(f"no submissions of {assignment!r}: expected "
                             f"submitted/<student>/{assignment}/ in {root}")
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SQLAlchemyError
    try:
        with Gradebook(url, course_id(root)) as gb:
            gb.find_assignment(assignment)
    except MissingEntry:
        raise AutogradeError(f"assignment {assignment!r} is not in the gradebook; run "
                             f"`nbgrader generate_assignment {assignment}` first") from None
    except (SQLAlchemyError, ImportError) as exc:   # unreachable server, bad URL, no driver
        raise AutogradeError(f"cannot open the gradebook {_hide_password(url)}: "
                             f"{(str(exc).splitlines() or [type(exc).__name__])[0]}") from None


def sandboxed(config) -> bool:
    """Whether the course (nbgrader `config`) grades in the kit's sandbox."""
    return "SandboxedKernelManager" in str(config.get("Execute", {}).get("kernel_manager_class", ""))


def check_sandbox(config) -> None:
    """If the course (nbgrader `config`) grades in the kit's sandbox: stop here, with nbgrader's
    line, when it cannot be made or its kernel would not import this kit (else every submission
    fails)."""
    if not sandboxed(config):
        return
    from grader.grading.sandbox import preflight
    problem = preflight(bool(config.get("SandboxedKernelManager", {}).get("required", True)))
    if problem:
        raise AutogradeError(problem)


def _hide_password(url):
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


# ---------------------------------------------------------------- one submission (in a worker)

_apis = {}                     # (root, url) -> NbGraderAPI: config is loaded once per worker
_one_at_a_time = threading.Lock()   # nbgrader changes the working folder: one task per process


def grade_submission(root: str, assignment: str, student: str, url: str, feedback: bool = False,
                     secret: str = "") -> "Result":
    """Autograde one student's submission with nbgrader (and write its feedback); mark it
    graded (with `secret`, the secret_id of the course secret it is graded with). Runs in a
    worker; returns a Result and never raises."""
    start = time.monotonic()
    with _one_at_a_time, warnings.catch_warnings(), one_engine_per_gradebook():
        # nbgrader's gradebook code trips SQLAlchemy warnings that mean nothing here
        warnings.simplefilter("ignore", category=_sqlalchemy_warning())
        try:
            api = _api(root, url)
            submitted = os.path.join(root, "submitted", student, assignment)
            print_ = fingerprint(submitted)
            # nbgrader matches --student as a pattern: escaped, it matches this folder only
            outcome = api.autograde(assignment, intake.student_glob(student), force=True, create=True)
            if outcome["success"] and feedback:
                outcome = api.generate_feedback(assignment, intake.student_glob(student), force=True)
            if not outcome["success"]:
                log = outcome.get("log", "") + outcome.get("error", "")
                return Result(student, False, time.monotonic() - start, failure_reason(log), log)
            with open(marker_path(root, assignment, student), "w") as f:
                json.dump({"fingerprint": print_, "secret": secret, "graded_at": time.time()}, f)
            return Result(student, True, time.monotonic() - start)
        except Exception as exc:   # anything else: report it, the other submissions go on
            return Result(student, False, time.monotonic() - start, f"{type(exc).__name__}: {exc}")


_engines = {}   # (pid, url, options) -> the SQLAlchemy engine this process's gradebooks share


@contextlib.contextmanager
def one_engine_per_gradebook():
    """While it lasts, nbgrader's Gradebooks share one SQLAlchemy engine per URL in this process.
    nbgrader opens a Gradebook ~10 times per submission, each with a new engine, whose SQL
    compilation cache starts empty: every query was compiled again (~30 ms per submission,
    measured). Each Gradebook still opens and closes its own connections (its close() disposes
    the engine's pool), so nothing is held between gradebooks; keyed by process id, so that a
    forked worker never uses an engine made before the fork. Each Gradebook also makes sure
    every table exists (a query per table, ~0.4 ms): once per engine while it lasts."""
    import nbgrader.api
    real, metadata = nbgrader.api.create_engine, nbgrader.api.Base.metadata
    tables_made = set()   # engines whose tables create_all made sure of, meanwhile

    def shared(url, **options):
        key = (os.getpid(), str(url), tuple(sorted(options.items())))
        if key not in _engines:
            _engines[key] = real(url, **options)
        return _engines[key]

    def create_all_once(bind, **options):
        if bind not in tables_made:
            type(metadata).create_all(metadata, bind, **options)
            tables_made.add(bind)

    outer = vars(metadata).get("create_all")   # (inside another such block: its own)
    nbgrader.api.create_engine, metadata.create_all = shared, create_all_once
    try:
        yield
    finally:
        nbgrader.api.create_engine = real
        if outer is None:
            del metadata.create_all
        else:
            metadata.create_all = outer


def _sqlalchemy_warning():
    from sqlalchemy.exc import SAWarning
    return SAWarning


def _api(root, url):
    if (root, url) not in _apis:
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        config = course_settings(root)
        config.CourseDirectory.db_url = url
        coursedir = CourseDirectory(config=config)
        _apis[root, url] = NbGraderAPI(coursedir, config=config)
    return _apis[root, url]


def failure_reason(log: str) -> str:
    """The one line that says why nbgrader gave up: the last exception line of its log."""
    lines = [line.strip() for line in log.splitlines()]
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Interrupt)\b", line)
              and not line.startswith("nbgrader.converters.base.NbGraderException")]
    if errors:
        return errors[-1][:300]
    flagged = [line for line in lines if line.startswith("[ERROR]")]
    return (flagged[0] if flagged else "nbgrader failed without a reason").removeprefix("[ERROR] ")[:300]


# ---------------------------------------------------------------- running many

def warm_up(root: str, url: str, assignment: str) -> None:
    """Load, once, what every submission needs, in the process the local workers fork from:
    nbgrader's converter and API with the course's config, the kernel client, the judge, and
    torch, which computes the references for each student's secret inputs, with its one-time
    costs paid (its first optimizer step alone imports torch._dynamo: ~0.9 s) and pictures'.
    torch is safe to fork from here: it runs on one thread (grader.reference), so it has
    started no thread pool that a forked worker would find half-copied."""
    import importlib
    import jupyter_client.manager  # noqa: F401
    import nbclient  # noqa: F401
    import nbconvert.exporters  # noqa: F401
    import nbgrader.converters.autograde  # noqa: F401
    import grader.grading.pipeline  # noqa: F401
    import grader.grading.sandbox  # noqa: F401
    import grader.reference  # noqa: F401
    # Pictures of failed checks for feedback (grader.grading.figures imports these on the first
    # failed check: 0.4-1.1 s, once per worker otherwise).
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    from grader.exercises import ASSIGNMENTS
    if assignment in ASSIGNMENTS:
        importlib.import_module(f"grader.suites.{assignment}")
    _api(root, url)
    grader.grading.pipeline.warm_up_judging(assignment)


def _start_worker(log_path, root, assignment):
    # Ctrl-C (or SIGTERM) stops the front end from starting new submissions; the running ones
    # finish (their kernels have their own time limits), so nothing is left half-written.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # What workers and kernels print (kernel start-up chatter, library warnings) goes to a log
    # file, not over the progress bar; each submission's own nbgrader log is kept separately.
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    warm_up_worker(root, assignment)


def warm_up_worker(root: str, assignment: str) -> None:
    """Before a worker's first submission: take a warm kernel sandbox the front end started
    ahead, or start one in the background. A failure here costs no grade: the first submission
    meets it again and reports it."""
    from grader.grading import sandbox, warm
    try:
        if not warm.take_ahead():
            sandbox.start_warm_sandbox(course_settings(root))
    except Exception as exc:   # noqa: BLE001
        print(f"worker warm-up failed ({type(exc).__name__}: {exc}); grading goes on", file=sys.stderr)
    # What is loaded by now (nbgrader, torch, matplotlib: a million objects) lives as long as the
    # worker: the garbage collector stops walking it at each full collection.
    gc.freeze()


class LocalWorkers:
    """N forked worker processes on this machine."""

    def __init__(self, jobs, log_path, root, assignment):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        self.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                        initializer=_start_worker, initargs=(log_path, root, assignment))

    def submit(self, *args):
        return self.pool.submit(grade_submission, *args)

    def as_completed(self, futures):
        from concurrent.futures import as_completed
        return as_completed(futures)

    def close(self, cancel=False):
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class DaskWorkers:
    """The workers of a running Dask distributed cluster (start them with `--nthreads 1`; each
    must see the course folder at the same path)."""

    def __init__(self, address):
        try:
            from distributed import Client
        except ImportError:
            raise AutogradeError(f"{MISSING_EXTRA} (distributed)") from None
        try:
            self.client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise AutogradeError(f"cannot reach the Dask scheduler at {address}: {exc}") from None

    def submit(self, *args):
        return self.client.submit(grade_submission, *args, pure=False, key=f"autograde-{args[1]}-{args[2]}")

    def as_completed(self, futures):
        from distributed import as_completed
        return as_completed(futures)

    def close(self, cancel=False):
        self.client.close()


def autograde(root: str, assignment: str, jobs: int = 1, db_url: str | None = None, scheduler: str | None = None,
              force: bool = False, feedback: bool = False, out=sys.stderr) -> "Run":
    """Grade every submission of `assignment` not yet graded. Returns a Run; raises
    AutogradeError for bad input. Ctrl-C (or SIGTERM) stops it from starting new submissions:
    the running ones finish and count, and the Run says it was interrupted."""
    try:
        from tqdm import tqdm
    except ImportError:
        raise AutogradeError(f"{MISSING_EXTRA} (tqdm)") from None
    root = os.path.abspath(root)
    if jobs < 1:
        raise AutogradeError("--jobs must be at least 1")
    check_root(root)
    # nbgrader runs `alembic` (a script beside this interpreter) when it creates a gradebook
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    url = gradebook_url(root, db_url)
    # The sandboxes' start and check run in the background (sandboxed processes: ~1 s of CPU
    # each); meanwhile the course is checked and what local workers need is loaded here. (What
    # the check imports is imported first: two threads importing modules that import each other
    # can see half-made ones.)
    config = course_config(root)
    import grader.grading.sandbox  # noqa: F401
    with ThreadPoolExecutor(1) as background:
        if not scheduler and sandboxed(config):
            # On the other core, the workers' warm sandboxes (a template's imports: ~1 s of CPU
            # each), while this process loads what the workers will inherit.
            grader.grading.sandbox.start_warm_sandboxes_ahead(
                course_settings(root), min(jobs, len(submissions(root, assignment))), background)
        sandbox_checked = background.submit(check_sandbox, config)
        check_course(root, assignment, url)
        secret = secret_id(course_secret(root))
        if not scheduler:
            warm_up(root, url, assignment)
        sandbox_checked.result()
    with only_grader(root, assignment):
        return _grade_all(root, assignment, jobs, url, scheduler, force, feedback, out, tqdm, secret)


@contextlib.contextmanager
def only_grader(root: str, assignment: str):  # -> a context manager
    """Refuse to run beside another autograde of the same assignment in this course: two would
    grade the same submissions at once, each deleting the other's output."""
    os.makedirs(log_folder(root, assignment), exist_ok=True)
    with open(os.path.join(log_folder(root, assignment), ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AutogradeError(f"another `python -m grader autograde {assignment}` is running in "
                                 f"this course; wait for it to finish") from None
        yield


def _grade_all(root, assignment, jobs, url, scheduler, force, feedback, out, tqdm, secret):
    run = Run(root, assignment)
    todo = []
    tool = intake.configured(course_config(root))
    names = notebook_names(root, assignment, url)
    found = submissions(root, assignment)
    run.absent = sorted(set(os.listdir(os.path.join(root, "submitted"))) - set(found))
    for student, folder in found.items():
        reason = refused(student, folder)
        if reason:
            run.refused.append(Result(student, False, reason=reason))
            continue
        try:   # before anything reads the folder: links, pipes, devices, oversized files
            left = tool.take_in(root, folder, names)
        except (OSError, RecursionError) as exc:    # no write access; folders nested 1000 deep
            run.failed.append(Result(student, False, reason=f"the intake could not set aside what it must "
                                                            f"not read: {type(exc).__name__}: {exc}"[:300]))
            continue
        if not force and is_graded(root, assignment, student, fingerprint(folder), secret):
            run.skipped.append(student)
        else:
            todo.append(student)
            run.left_out[student] = left
    where = f"Dask cluster {scheduler}" if scheduler else f"{jobs} worker{'s' * (jobs > 1)}"
    print(f"{assignment}: {len(todo)} to grade with {where}, {len(run.skipped)} already graded "
          f"(gradebook: {_hide_password(url).split(':')[0]})", file=out)
    if not todo:
        return run
    if scheduler:
        workers = DaskWorkers(scheduler)
    else:
        workers = LocalWorkers(jobs, os.path.join(log_folder(root, assignment), "workers.log"), root, assignment)
    futures = {workers.submit(root, assignment, student, url, feedback, secret): student for student in todo}
    counted = set()
    with tqdm(total=len(todo), desc=assignment, unit="submission", file=out, smoothing=0.1) as bar:
        try:
            for future in workers.as_completed(futures):
                run.add(outcome(future, futures[future]), bar)
                counted.add(future)
        except KeyboardInterrupt:
            run.interrupted = True
            bar.write("Interrupted: letting the running submissions finish ...", file=out)
    workers.close(cancel=run.interrupted)
    for future in futures:   # those that finished while stopping
        if future not in counted and future.done() and not future.cancelled():
            run.add(outcome(future, futures[future]))
    run.failed += lost_grades(root, assignment, url, run.graded)
    return run


def notebook_names(root: str, assignment: str, url: str) -> list[str]:
    """The file names of the assignment's notebooks, from the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(url, course_id(root)) as gb:
        return [f"{nb.name}.ipynb" for nb in gb.find_assignment(assignment).notebooks]


def outcome(future, student: str) -> Result:
    """A finished task's Result. If a worker process died (killed, out of memory), its
    submission, and any the broken pool then gave up on, fail with that reason: a rerun grades
    them."""
    try:
        return future.result()
    except Exception as exc:
        return Result(student, False, reason=f"not graded: a worker process died ({type(exc).__name__}: "
                                             f"{exc})"[:300])


@dataclass
class Run:
    root: str
    assignment: str
    graded: list = field(default_factory=list)     # Results
    failed: list = field(default_factory=list)     # Results
    skipped: list = field(default_factory=list)    # students already graded
    refused: list = field(default_factory=list)    # Results: submissions nbgrader cannot grade exactly
    left_out: dict = field(default_factory=dict)   # student: [intake.LeftOut] (those graded in this run)
    absent: list = field(default_factory=list)     # names in submitted/ without this assignment
    interrupted: bool = False

    def add(self, result, bar=None):
        (self.graded if result.ok else self.failed).append(result)
        if bar is not None:
            if not result.ok:
                bar.write(f"FAILED {result.student}: {result.reason}", file=bar.fp)
            bar.update(1)


def lost_grades(root: str, assignment: str, url: str, graded: list[str]) -> list[Result]:
    """Results for graded submissions whose grades are not all in the gradebook (there should
    be none: this checks the claim instead of trusting it)."""
    from nbgrader.api import Gradebook
    with Gradebook(url, course_id(root)) as gb:
        scored = {s.student.id: all(g.auto_score is not None or g.needs_manual_grade
                                    for nb in s.notebooks for g in nb.grades)
                  for s in gb.assignment_submissions(assignment)}
    lost = [r.student for r in graded if not scored.get(r.student)]
    for student in lost:
        os.remove(marker_path(root, assignment, student))   # so that a rerun grades it again
    return [Result(s, False, reason="graded, but its grades are missing from the gradebook") for s in lost]


def log_folder(root: str, assignment: str) -> str:
    return os.path.join(root, "logs", "autograde", assignment)


def write_logs(root: str, assignment: str, failed: list[Result]) -> dict[str, str]:
    """The full nbgrader log of each failed submission, for the instructor: {student: path}."""
    folder = log_folder(root, assignment)
    paths = {}
    for result in failed:
        if result.log:
            os.makedirs(folder, exist_ok=True)
            paths[result.student] = os.path.join(folder, f"{result.student}.log")
            with open(paths[result.student], "w") as f:
                f.write(result.log)
    return paths


def summary(run: "Run", seconds: float) -> str:
    """The closing lines: counts, time per submission, and each failure with its reason."""
    done = len(run.graded) + len(run.failed)
    rate = f", {seconds / done:.2f} s per submission" if done else ""
    lines = [f"{run.assignment}: {len(run.graded)} graded, {len(run.skipped)} already graded, "
             f"{len(run.failed)} failed in {seconds:.1f} s{rate}"
             + (f", {len(run.refused)} not graded" if run.refused else "")]
    left = [(student, entry) for student, entries in sorted(run.left_out.items()) for entry in entries]
    if left:
        lines.append(f"Left out of submissions (kept unread in {intake.LEFT_OUT}/; each student's notes say why):")
        width = max(len(repr(student)) for student, _ in left)
        lines += [f"  {student!r:{width}}  {intake.describe(entry)}" for student, entry in left]
    if run.absent:
        lines.append(f"No {run.assignment}/ folder in submitted/: {', '.join(map(repr, run.absent))}")
    if run.refused:
        lines.append("Not graded (fix the cause and run the same command again):")
        width = max(len(repr(r.student)) for r in run.refused)
        lines += [f"  {r.student!r:{width}}  {r.reason}" for r in sorted(run.refused, key=lambda r: r.student)]
    if run.failed:
        logs = write_logs(run.root, run.assignment, run.failed)
        lines.append("Failed (not graded: fix the cause and run the same command again, which grades "
                     "only these):")
        width = max(len(r.student) for r in run.failed)
        for r in sorted(run.failed, key=lambda r: r.student):
            log = f"  [log: {os.path.relpath(logs[r.student], run.root)}]" if r.student in logs else ""
            lines.append(f"  {r.student:{width}}  {r.reason}{log}")
    if run.interrupted:
        lines.append("Stopped before the end: run the same command again to grade the rest "
                     "(graded submissions are kept and skipped).")
    return "\n".join(lines)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(args) -> int:
    """The command line's `autograde`: returns the exit status."""
    start = time.monotonic()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        run = autograde(args.root, args.assignment, args.jobs, args.db_url, args.scheduler,
                        args.force, args.feedback)
    except AutogradeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(summary(run, time.monotonic() - start))
    return 130 if run.interrupted else 1 if run.failed or run.refused else 0
