"""`python -m grader autograde`: parallel grading gives exactly what serial `nbgrader autograde`
gave (the `graded` fixture), survives being killed, summarises failures, refuses bad input,
and works with a real PostgreSQL gradebook and on a Dask distributed cluster."""
import os
import signal
import subprocess
import sys
import time

import pytest

from grader.instructor.autograde import DONE_MARKER
from grader.instructor.demo import nbgrader, scores
from tests.helpers import autograde, cell_outputs_text, ungraded_copy
from tests.postgres import running_postgres

pytestmark = pytest.mark.slow   # the real nbgrader, kernels and PostgreSQL

def graded_students(root, assignment):
    folder = os.path.join(root, "autograded")
    return sorted(s for s in (os.listdir(folder) if os.path.isdir(folder) else [])
                  if os.path.exists(os.path.join(folder, s, assignment, DONE_MARKER)))


def test_two_jobs_give_the_scores_outputs_and_feedback_of_serial_nbgrader(graded, tmp_path):
    root = ungraded_copy(graded, tmp_path / "course", "activations")
    proc = autograde(root, "activations", "--jobs", "2", "--feedback")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    students = sorted(scores(graded, "activations"))
    assert f"activations: {len(students)} graded, 0 already graded, 0 failed" in proc.stdout
    assert "%|" in proc.stderr and "submission/s" in proc.stderr, "a progress bar with a rate"
    assert scores(root, "activations") == scores(graded, "activations")
    for student in students:
        assert cell_outputs_text(root, "activations", student) == cell_outputs_text(graded, "activations", student)
        feedback = os.path.join("feedback", student, "activations", "activations.html")
        with open(os.path.join(root, feedback)) as mine, open(os.path.join(graded, feedback)) as serial:
            assert mine.read() == serial.read(), student
    # Run again: everything is already graded, nothing changes.
    again = autograde(root, "activations", "--jobs", "2")
    assert again.returncode == 0 and f"0 graded, {len(students)} already graded" in again.stdout
    assert scores(root, "activations") == scores(graded, "activations")


def start_grading(root):
    return subprocess.Popen([sys.executable, "-m", "grader", "autograde", "activations", "--jobs", "2"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)


def wait_until_graded(root, proc, count):
    deadline = time.monotonic() + 300
    while len(graded_students(root, "activations")) < count and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "still running when stopped"


def test_stopped_or_killed_mid_run_it_resumes_without_losing_or_duplicating_grades(graded, tmp_path):
    root = ungraded_copy(graded, tmp_path / "course", "activations")
    everyone = sorted(scores(graded, "activations"))
    # SIGTERM (or Ctrl-C): no new submissions start, the running ones finish and count.
    proc = start_grading(root)
    wait_until_graded(root, proc, 1)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 130 and "Stopped before the end" in out, out
    stopped = graded_students(root, "activations")
    assert 1 <= len(stopped) < len(everyone)
    # SIGKILL of the front end and its workers, as in a crash: cut off mid-submission.
    proc = start_grading(root)
    wait_until_graded(root, proc, len(stopped) + 1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    killed = graded_students(root, "activations")
    assert len(stopped) < len(killed) < len(everyone)
    resumed = autograde(root, "activations", "--jobs", "2")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr[-3000:]
    assert f"{len(everyone) - len(killed)} graded, {len(killed)} already graded, 0 failed" in resumed.stdout
    assert scores(root, "activations") == scores(graded, "activations")
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{os.path.join(root, 'gradebook.db')}", "dl-course") as gb:
        rows = sorted(s.student.id for s in gb.assignment_submissions("activations"))
    assert rows == everyone, "one submission row per student"


def test_a_broken_submission_is_summarised_with_its_reason_and_log(graded, tmp_path):
    root = ungraded_copy(graded, tmp_path / "course", "activations", keep={"ada"})
    os.makedirs(os.path.join(root, "submitted", "zed", "activations"))
    with open(os.path.join(root, "submitted", "zed", "activations", "activations.ipynb"), "w") as f:
        f.write("not a notebook")
    proc = autograde(root, "activations", "--jobs", "2")
    assert proc.returncode == 1
    assert "activations: 1 graded, 0 already graded, 1 failed" in proc.stdout
    line = next(line for line in proc.stdout.splitlines() if line.strip().startswith("zed"))
    assert "NotJSONError: Notebook does not appear to be JSON" in line
    assert "[log: logs/autograde/activations/zed.log]" in line
    with open(os.path.join(root, "logs", "autograde", "activations", "zed.log")) as f:
        assert "Traceback" in f.read()
    assert scores(root, "activations")["ada"] == scores(graded, "activations")["ada"]
    assert graded_students(root, "activations") == ["ada"]


@pytest.mark.parametrize("args, message", [
    (["nope"], "no submissions of 'nope'"),
    (["activations", "--jobs", "0"], "--jobs must be at least 1"),
    (["activations", "--root", "/"], "is not a course root"),
    (["activations", "--db-url", "postgresql://nobody@127.0.0.1:1/none"], "cannot open the gradebook"),
])
def test_bad_input_gets_one_clear_line_and_exit_2(graded, args, message):
    proc = autograde(graded, *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_second_grader_of_the_same_assignment_is_refused(graded):
    from grader.instructor.autograde import only_grader
    with only_grader(graded, "activations"):
        proc = autograde(graded, "activations")
    assert proc.returncode == 2 and "another `python -m grader autograde activations` is running" in proc.stderr


def test_a_worker_that_dies_fails_only_its_submission():
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool
    from grader.instructor.autograde import outcome
    future = Future()
    future.set_exception(BrokenProcessPool("A process in the process pool was terminated abruptly"))
    result = outcome(future, "ada")
    assert (result.student, result.ok) == ("ada", False)
    assert result.reason.startswith("not graded: a worker process died (BrokenProcessPool")


def test_gradebooks_share_one_engine_per_url_only_during_a_submission_and_only_in_one_process(tmp_path, monkeypatch):
    import nbgrader.api
    from nbgrader.api import Gradebook
    from grader.instructor.autograde import one_engine_per_gradebook
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])   # alembic
    real = nbgrader.api.create_engine
    made = []   # the engines create_all (which makes sure every table exists) runs on
    monkeypatch.setattr(type(nbgrader.api.Base.metadata), "create_all",
                        lambda self, bind, real=type(nbgrader.api.Base.metadata).create_all, **kw:
                        made.append(bind) or real(self, bind, **kw))
    with one_engine_per_gradebook():
        with Gradebook(url) as first:
            first.add_student("ada")
        with Gradebook(url) as second, Gradebook(url) as third:   # after first.close() disposed it
            assert second.engine is first.engine and third.engine is first.engine
            assert [s.id for s in second.students] == ["ada"]
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:   # a forked worker makes its own
            with Gradebook(url) as child:
                os.write(write, b"own" if child.engine is not first.engine else b"shared")
            os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(read, 10) == b"own"
    assert made == [first.engine], "tables checked once per engine while it lasts"
    assert nbgrader.api.create_engine is real and "create_all" not in vars(nbgrader.api.Base.metadata)
    with Gradebook(url) as after:
        assert after.engine is not first.engine
    assert made == [first.engine, after.engine]


def test_a_notebooks_grades_are_saved_in_one_transaction(graded, tmp_path):
    """SaveAutoGradesAtOnce saves what nbgrader's SaveAutoGrades saves, all or nothing: when a
    cell's grade is not in the gradebook (nbgrader then fails the submission), none of the
    notebook's other new grades is kept either (nbgrader committed those before it)."""
    import shutil
    import nbformat
    from nbgrader.api import MissingEntry
    from grader.grading.cells import nbgrader_meta
    from grader.grading.pipeline import SaveAutoGradesAtOnce
    root = str(tmp_path / "course")
    shutil.copytree(graded, root)
    url = f"sqlite:///{os.path.join(root, 'gradebook.db')}"
    nb = nbformat.read(os.path.join(root, "autograded", "ada", "activations", "activations.ipynb"), 4)
    resources = {"nbgrader": {"notebook": "activations", "assignment": "activations", "student": "ada",
                              "db_url": url}}
    before = scores(root, "activations")["ada"]
    tests = [c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"]
    assert len(tests) >= 3 and all(before[nbgrader_meta(c)["grade_id"]] > 0 for c in tests)
    for cell in tests:   # an error output first: nbgrader scores the cell 0
        cell.outputs.insert(0, nbformat.from_dict({"output_type": "error", "ename": "E", "evalue": "", "traceback": []}))
    last = nbgrader_meta(tests[-1])["grade_id"]
    tests[-1].metadata["nbgrader"]["grade_id"] = "not_in_the_gradebook"
    with pytest.raises(MissingEntry):
        SaveAutoGradesAtOnce().preprocess(nb, resources)
    assert scores(root, "activations")["ada"] == before
    tests[-1].metadata["nbgrader"]["grade_id"] = last
    SaveAutoGradesAtOnce().preprocess(nb, resources)
    assert scores(root, "activations")["ada"] == {**before, **{nbgrader_meta(c)["grade_id"]: 0 for c in tests}}


def test_a_worker_freezes_what_it_loaded_before_its_first_submission(tmp_path):
    """After its warm-up (which fails here: no course), a worker's loaded modules are out of the
    garbage collector's reach (gc.freeze)."""
    import gc
    from grader.instructor.autograde import LocalWorkers
    workers = LocalWorkers(1, str(tmp_path / "logs" / "workers.log"), str(tmp_path / "no-course"), "activations")
    try:
        assert gc.get_freeze_count() == 0
        assert workers.pool.submit(gc.get_freeze_count).result(timeout=120) > 10_000
    finally:
        workers.close()


def test_the_front_end_runs_torch_before_the_workers_fork_and_starts_no_thread_they_would_lose(graded):
    """The front end pays torch's first-use costs (an optimizer step, a backward pass) before it
    forks the workers; that is safe only while torch runs on one thread, so that no thread pool
    exists for a fork to copy half-made."""
    import torch
    from grader.instructor.autograde import gradebook_url, warm_up

    def threads():
        return set(os.listdir("/proc/self/task"))
    before = threads()
    warm_up(graded, gradebook_url(graded), "optimizers")
    assert threads() <= before and torch.get_num_threads() == 1   # (an earlier test's may have ended)


def test_a_command_freezes_what_it_loaded_before_the_interpreter_exits():
    """`python -m grader` ends (even through SystemExit) with gc.freeze: the interpreter's last
    collection then skips what the command loaded (0.5-1 s of every autograde)."""
    probe = ("import atexit, gc, runpy, sys\n"
             "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count()))\n"
             "import numpy\n"
             "sys.argv = ['grader', 'autograde', '--help']\n"
             "runpy.run_module('grader', run_name='__main__')\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage: python -m grader autograde" in proc.stdout
    frozen = int(proc.stdout.rsplit("frozen at exit:", 1)[1])
    assert frozen > 10_000, proc.stdout


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as new_database:
        yield new_database


def pg_course(graded, dest, assignment, url):
    """An ungraded copy of the course whose gradebook is the PostgreSQL database `url`."""
    root = ungraded_copy(graded, dest, assignment)
    nbgrader(root, "generate_assignment", assignment, "--force", f"--CourseDirectory.db_url={url}")
    return root


def test_a_postgresql_gradebook_gets_the_same_grades(graded, postgres, tmp_path):
    url = postgres("local_workers")
    root = pg_course(graded, tmp_path / "course", "activations", url)
    proc = autograde(root, "activations", "--jobs", "2", "--db-url", url)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "(gradebook: postgresql)" in proc.stderr
    assert scores(root, "activations", url) == scores(graded, "activations")


def test_a_dask_cluster_grades_into_postgresql(graded, postgres, tmp_path):
    from distributed import LocalCluster
    url = postgres("dask")
    root = pg_course(graded, tmp_path / "course", "losses", url)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        proc = autograde(root, "losses", "--scheduler", cluster.scheduler_address, "--db-url", url)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert f"with Dask cluster {cluster.scheduler_address}" in proc.stderr
    assert scores(root, "losses", url) == scores(graded, "losses")
