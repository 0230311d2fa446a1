"""Submissions are untrusted input: links, pipes, sockets, devices, oversized files and cells,
and odd student ids. Each attack is a submission graded by the real `nbgrader autograde` and by
the kit's front end (`python -m grader autograde`), in a copy of the demo course graded before:
each attacker gets a recorded score and a reason, nothing is lost, nobody else changes, and
nothing from outside the student's folder reaches autograded/ or feedback/."""
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading

import nbformat
import pytest

from grader.grading import intake
from grader.grading.sanitize import NOTES_TITLE
from grader.instructor.autograde import fingerprint
from grader.instructor.cohort import student_notebook
from grader.instructor.demo import nbgrader, scores
from grader.suites import cell_points
from tests.helpers import COHORT

A = "activations"
FULL = {f"test_{name}": points for name, points in cell_points(A).items()}   # every cell full
ZERO = dict.fromkeys(FULL, 0.0)
CAP = 10 * 2 ** 20            # the test course's file size limit (the default is 50 MB)
# What must never reach a student's autograded folder or feedback from outside it (the
# autograded notebook holds the hidden tests, as always: only feedback must not).
SECRETS = ("root:x:0:0", "BEGIN SOLUTION", "SQLite format 3")
HIDDEN = "BEGIN HIDDEN TESTS"

# student: (expected scores, notes the student's notebook must show)
ATTACKS = {
    "linker": (FULL, ["`sol.ipynb` is a symbolic link (to `../../../source/activations/activations.ipynb`)",
                      "`gb.db` is a symbolic link (to `../../../gradebook.db`)",
                      "`passwd` is a symbolic link (to `/etc/passwd`)", "`zero` is a symbolic link (to `/dev/zero`)",
                      "`data/host` is a symbolic link", "`adas` is a symbolic link",
                      "`<img src=x onerror=alert(1)>` is a symbolic link (to `x`)"]),
    "piper": (FULL, ["`pipe` is a named pipe (FIFO)", "`sock` is a socket", "`null` is a device"]),
    "mirror": (ZERO, ["`activations.ipynb` is a symbolic link (to `../../ada/activations/activations.ipynb`)"]),
    "linkfolder": (ZERO, ["the submission folder itself is a symbolic link (to `../ada/activations`)"]),
    "linkstudent": (ZERO, ["the student's folder is a symbolic link (to `ada`)"]),
    "hoarder": (FULL, ["`data.bin` is 30.0 MB, over the limit of 10.0 MB per file"]),
    "bignb": (ZERO, ["`activations.ipynb` is 30.0 MB, over the limit of 10.0 MB per file"]),
    "bigcell": (FULL, ["a markdown cell of 3.0 million characters, over the limit of 1 million per cell"]),
    "ann lee": (FULL, []),
    "o'neil": (FULL, []),
    "zoë": (FULL, []),
    "stark": (FULL, []),
}
# Refused by both front ends, with these reasons (nbgrader would grade them wrongly or not at all).
REFUSED = {"star*": "holds *, ? or [ ]", ".hidden": "begins with '.'", "...": "begins with '.'",
           " trail": "begins or ends with whitespace"}


def good_notebook(root):
    release = nbformat.read(os.path.join(root, "release", A, f"{A}.ipynb"), as_version=4)
    with open(os.path.join(COHORT, "ada", f"{A}.py")) as f:
        return student_notebook(release, f.read())


def plant(root):
    """Write the attackers' submissions into course `root` (the demo cohort is there already)."""
    def folder(student, notebook=True):
        path = os.path.join(root, "submitted", student, A)
        os.makedirs(path)
        if notebook:
            nbformat.write(good_notebook(root), os.path.join(path, f"{A}.ipynb"))
        return path

    d = folder("linker")
    os.symlink("../../../source/activations/activations.ipynb", os.path.join(d, "sol.ipynb"))
    os.symlink("../../../gradebook.db", os.path.join(d, "gb.db"))
    os.symlink("/etc/passwd", os.path.join(d, "passwd"))
    os.symlink("/dev/zero", os.path.join(d, "zero"))
    os.symlink("../../ada", os.path.join(d, "adas"))
    os.symlink("x", os.path.join(d, "<img src=x onerror=alert(1)>"))
    os.makedirs(os.path.join(d, "data"))
    os.symlink("/etc/hostname", os.path.join(d, "data", "host"))
    with open(os.path.join(d, "data", "notes.txt"), "w") as f:
        f.write("my own notes")

    d = folder("piper")
    os.mkfifo(os.path.join(d, "pipe"))
    here = os.getcwd()
    os.chdir(d)               # a socket's path must be short
    try:
        socket.socket(socket.AF_UNIX).bind("sock")
    finally:
        os.chdir(here)
    os.mknod(os.path.join(d, "null"), stat.S_IFCHR | 0o666, os.makedev(1, 3))   # /dev/null's numbers

    d = folder("mirror", notebook=False)
    os.symlink("../../ada/activations/activations.ipynb", os.path.join(d, f"{A}.ipynb"))
    os.makedirs(os.path.join(root, "submitted", "linkfolder"))
    os.symlink("../ada/activations", os.path.join(root, "submitted", "linkfolder", A))
    os.symlink("ada", os.path.join(root, "submitted", "linkstudent"))

    d = folder("hoarder")
    with open(os.path.join(d, "data.bin"), "wb") as f:
        f.truncate(30 * 2 ** 20)
    d = folder("bignb", notebook=False)
    nb = good_notebook(root)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("x" * (30 * 2 ** 20)))
    nbformat.write(nb, os.path.join(d, f"{A}.ipynb"))
    d = folder("bigcell", notebook=False)
    nb = good_notebook(root)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("y" * 3_000_000))
    nbformat.write(nb, os.path.join(d, f"{A}.ipynb"))

    for student in ["ann lee", "o'neil", "zoë", "stark", *REFUSED]:
        folder(student)
    os.makedirs(os.path.join(root, "submitted", "nosub", "losses"))     # submitted something else


def course_copy(graded, dest):
    """The graded demo course, with the attackers planted and a 10 MB file limit."""
    root = str(dest)
    shutil.copytree(graded, root, symlinks=True)
    with open(os.path.join(root, "nbgrader_config.py"), "a") as f:
        f.write(f"\nc.Autograde.pre_convert_hook = intake.Intake(max_file_bytes={CAP})\n")
    plant(root)
    return root


@pytest.fixture(scope="module")
def by_nbgrader(graded, tmp_path_factory):
    root = course_copy(graded, tmp_path_factory.mktemp("intake") / "course")
    before = scores(root, A)
    proc = nbgrader(root, "autograde", A, check=False)
    feedback = nbgrader(root, "generate_feedback", A, check=False)
    return root, before, proc, feedback


@pytest.fixture(scope="module")
def by_front_end(graded, tmp_path_factory):
    root = course_copy(graded, tmp_path_factory.mktemp("intake-front") / "course")
    before = scores(root, A)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    run = [sys.executable, "-m", "grader", "autograde", A, "--jobs", "2", "--feedback"]
    proc = subprocess.run(run, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    again = subprocess.run(run, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    return root, before, proc, again


def notes_of(root, student):
    nb = nbformat.read(os.path.join(root, "autograded", student, A, f"{A}.ipynb"), as_version=4)
    first = nb.cells[0].source
    return first if first.startswith(NOTES_TITLE) else ""


def files_under(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["by_nbgrader", "by_front_end"])
def test_everyone_else_is_untouched_and_every_attacker_has_a_score(fixture, request):
    root, before, proc, _ = request.getfixturevalue(fixture)
    after = scores(root, A)
    for student, cells in before.items():
        assert after[student] == cells, student
    for student, (expected, _) in ATTACKS.items():
        assert after[student] == pytest.approx(expected), student
    for student in REFUSED:    # plain nbgrader makes their gradebook rows before the intake refuses them
        assert not os.path.exists(os.path.join(root, "autograded", student, A, f"{A}.ipynb")), student
    assert proc.returncode == 1, "a refused submission is a failure to grade"


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["by_nbgrader", "by_front_end"])
@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_each_attacker_is_told_what_was_left_out_and_why(fixture, student, request):
    root = request.getfixturevalue(fixture)[0]
    notes = notes_of(root, student)
    for note in ATTACKS[student][1]:
        assert note in notes, (note, notes)
    assert bool(notes) == bool(ATTACKS[student][1])
    with open(os.path.join(root, "feedback", student, A, f"{A}.html")) as f:
        html = f.read()
    assert (NOTES_TITLE.strip("*") in html) == bool(ATTACKS[student][1])
    assert len(html) < 5_000_000
    assert "<img src=x" not in html, "a file name is shown, never rendered"


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["by_nbgrader", "by_front_end"])
def test_nothing_from_outside_a_students_folder_is_copied_and_nothing_is_lost(fixture, request):
    root = request.getfixturevalue(fixture)[0]
    for student in ATTACKS:
        for step, own in (("autograded", [f"{A}.ipynb"]), ("feedback", [f"{A}.html"])):
            folder = os.path.join(root, step, student, A)
            extra = ["data/notes.txt"] if student == "linker" else []    # the student's own file
            assert [f for f in files_under(folder) if not f.startswith(".grader")] == sorted(own + extra), student
            for name in files_under(folder):
                with open(os.path.join(folder, name), errors="replace") as f:
                    text = f.read()
                secrets = SECRETS + ((HIDDEN,) if step == "feedback" else ())
                assert not [s for s in secrets if s in text], (student, name)
    kept = os.path.join(root, intake.LEFT_OUT, "submitted")
    assert os.path.islink(os.path.join(kept, "linker", A, "files", "passwd"))
    assert os.path.islink(os.path.join(kept, "mirror", A, "files", f"{A}.ipynb"))
    assert stat.S_ISFIFO(os.lstat(os.path.join(kept, "piper", A, "files", "pipe")).st_mode)
    assert os.path.getsize(os.path.join(kept, "hoarder", A, "files", "data.bin")) == 30 * 2 ** 20
    assert os.path.islink(os.path.join(kept, "linkstudent", A, "files", "linkstudent"))
    with open(os.path.join(kept, "linker", A, intake.MANIFEST)) as f:
        assert {e["path"] for e in json.load(f)} == {"sol.ipynb", "gb.db", "passwd", "zero", "adas", "data/host",
                                                     "<img src=x onerror=alert(1)>"}
    assert os.path.isfile(os.path.join(root, "submitted", "ada", A, f"{A}.ipynb")), "the victim's notebook stays"
    assert not os.path.islink(os.path.join(root, "submitted", "ada"))


@pytest.mark.slow
def test_plain_nbgrader_names_each_refused_id_and_its_reason(by_nbgrader):
    _, _, proc, feedback = by_nbgrader
    for student, reason in REFUSED.items():
        assert f"Not graded: student id {student!r} {reason}" in proc.stderr, student


@pytest.mark.slow
def test_the_front_end_summarises_left_out_files_and_refused_ids(by_front_end):
    root, _, proc, again = by_front_end
    out = proc.stdout
    for student, reason in REFUSED.items():
        line = next(line for line in out.splitlines() if line.strip().startswith(repr(student)))
        assert reason in line, line
    assert "'passwd' is a symbolic link (to '/etc/passwd'); links are never followed" in out
    assert not set(REFUSED) & set(scores(root, A)), "refused ids get no gradebook row"
    assert "'pipe' is a named pipe (FIFO)" in out
    assert "Traceback" not in proc.stderr
    assert "No activations/ folder in submitted/: 'nosub'" in out
    assert again.returncode == 1 and " 0 graded," in again.stdout, again.stdout
    assert scores(root, A)["stark"] == FULL


@pytest.mark.slow
def test_both_front_ends_give_the_same_grades(by_nbgrader, by_front_end):
    plain = {s: cells for s, cells in scores(by_nbgrader[0], A).items() if s not in REFUSED}
    assert plain == scores(by_front_end[0], A)


def test_fingerprint_never_reads_pipes_devices_or_links(tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    os.mkfifo(tmp_path / "pipe")
    os.symlink("/dev/zero", tmp_path / "zero")
    result = []
    worker = threading.Thread(target=lambda: result.append(fingerprint(str(tmp_path))), daemon=True)
    worker.start()
    worker.join(10)
    assert result, "fingerprint() hung"
    os.remove(tmp_path / "zero")
    os.symlink("/etc/passwd", tmp_path / "zero")
    assert fingerprint(str(tmp_path)) != result[0], "a link's target is part of the fingerprint"


def test_the_intake_moves_only_what_it_must_and_is_idempotent(tmp_path):
    root = tmp_path
    sub = root / "submitted" / "s" / A
    (sub / "deep").mkdir(parents=True)
    (sub / f"{A}.ipynb").write_text("{}")
    (sub / "deep" / "ok.txt").write_text("ok")
    os.symlink("/etc/passwd", sub / "deep" / "pw")
    os.symlink("/etc/passwd", sub / "extra.ipynb")
    (sub / "big.bin").write_bytes(b"x" * 1001)
    tool = intake.Intake(max_file_bytes=1000)
    first = tool.take_in(str(root), str(sub))
    assert [(e.path, e.kind) for e in first] == [("big.bin", "too_big"), ("deep/pw", "symlink"),
                                                 ("extra.ipynb", "symlink")]
    assert sorted(files_under(sub)) == ["activations.ipynb", "deep/ok.txt", "extra.ipynb"]
    assert nbformat.read(str(sub / "extra.ipynb"), as_version=4).metadata["grader"] == {"stand_in": True}
    assert tool.take_in(str(root), str(sub)) == first, "a second intake finds nothing new"
    os.symlink("/etc/passwd", sub / "deep" / "pw")      # collected again: kept beside the first
    tool.take_in(str(root), str(sub))
    files = os.path.join(intake.left_out_folder(str(root), str(sub)), "files", "deep")
    assert sorted(os.listdir(files)) == ["pw", "pw.1"]


@pytest.mark.parametrize("student, problem", [
    ("ada", ""), ("ann lee", ""), ("o'neil", ""), ("zoë", ""), ("a\"b", ""),
    ("star*", "pattern"), ("q?", "pattern"), ("[x]", "pattern"), (".hidden", "'.'"), ("...", "'.'"),
    (" trail", "whitespace"), ("new\nline", "control character")])
def test_student_ids_nbgrader_cannot_grade_exactly_are_named(student, problem):
    assert (problem in intake.id_problem(student)) and (bool(intake.id_problem(student)) == bool(problem))


def test_cells_over_the_limits_are_cut_with_a_note():
    from grader.grading.sanitize import CapCells, WriteNotes
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1\n" * 200_000),            # 1.2 million characters
        nbformat.v4.new_markdown_cell("fine"),
        nbformat.v4.new_markdown_cell("m" * 900_000),
        nbformat.v4.new_markdown_cell("m" * 900_000)])               # past the notebook's limit
    resources = {}
    nb, resources = CapCells(max_cell_chars=1_000_000, max_notebook_chars=1_500_000).preprocess(nb, resources)
    nb, resources = WriteNotes().preprocess(nb, resources)
    code, fine, first, second = nb.cells[1:]
    assert code.source.startswith("# This cell's code was cut") and fine.source == "fine"
    assert len(first.source) < 1_000_000 and len(second.source) < 700_000
    notes = nb.cells[0].source
    assert "Cell number 1 is a code cell of 1.2 million characters, over the limit of 1 million per cell" in notes
    assert "Cell number 4 is a markdown cell of 0.9 million characters, over the limit of 1.5 million for all cells" in notes
    assert "Cell number 3" not in notes


@pytest.mark.parametrize("name, shown", [
    ("<img src=x onerror=alert(1)>", "<code>&lt;img src=x onerror=alert(1)&gt;</code>"),
    ("a`b", "<code>a`b</code>"), ("**b**", "<code>**b**</code>"),
    (os.fsdecode(b"caf\xe9"), "<code>caf\\xe9</code>"), ("two\nlines", "<code>two\\nlines</code>")])
def test_student_chosen_names_in_notes_are_shown_never_rendered(name, shown):
    from nbconvert.filters.markdown import markdown2html
    from grader.grading.sanitize import literal
    assert markdown2html(literal(name)).strip() == f"<p>{shown}</p>"


@pytest.mark.parametrize("meta, valid", [
    ({"grade": True, "grade_id": "test_relu", "locked": True, "points": 3, "schema_version": 3,
      "solution": False}, True),
    ({"grade": True, "grade_id": "test_relu", "locked": True, "points": "three", "schema_version": 3,
      "solution": False}, False),                                  # the schema: points are a number
    ({"grade": "yes", "grade_id": "test_relu", "locked": True, "points": 3, "schema_version": 3,
      "solution": False}, False)])
def test_the_cell_metadata_check_judges_as_nbgraders_own(meta, valid):
    """CheckCellMetadataOnce checks nbgrader's schema once per process: it must accept and refuse
    exactly what nbgrader's CheckCellMetadata does, and leave nbgrader's validator as it was."""
    import nbgrader.nbgraderformat.common as common
    from nbgrader.nbgraderformat import ValidationError
    from nbgrader.preprocessors import CheckCellMetadata

    from grader.grading.pipeline import CheckCellMetadataOnce
    verdicts = []
    for check in (CheckCellMetadata(), CheckCellMetadataOnce(), CheckCellMetadataOnce()):   # twice: cached
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("relu", metadata={"nbgrader": dict(meta)})])
        try:
            check.preprocess(nb, {})
            verdicts.append(True)
        except ValidationError:
            verdicts.append(False)
    assert verdicts == [valid] * 3
    assert common.jsonschema.validate.__module__ == "jsonschema.validators"
