"""The benchmark's cohort and courses (bench/autograde.py), built for real at a tiny size. The
timings themselves are a script's job, never a test's."""
import os
import time

import nbformat
import numpy as np
import pytest

from bench.autograde import TRIVIAL_TEST, build, machine_busy, student_code, write_cohort
from grader.exercises import ASSIGNMENTS
from grader.instructor.cohort import cohort_setting, expected_scores, expected_table
from grader.grading.cells import graded_test_cells, nbgrader_meta, solution_cells
from grader.suites import cell_points
from tests.helpers import COHORT


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("bench"))
    kinds, origins = build(out, 3, ["activations"])
    return out, kinds, origins


def submitted(out, course, student, assignment="activations"):
    return nbformat.read(os.path.join(out, course, "submitted", student, assignment, f"{assignment}.ipynb"),
                         as_version=4)


@pytest.mark.slow
def test_kinds_cycle_and_each_kind_cycles_through_its_sources(bench):
    _, kinds, origins = bench
    assert kinds == {"s001": "correct", "s002": "buggy", "s003": "hostile"}
    assert [student_code(i, "activations")[:2] for i in range(6)] == [
        ("correct", "demo/cohort/ada/activations.py"), ("buggy", "demo/cohort/dee/activations.py"),
        ("hostile", "tests/hostile/exiter/activations.py"), ("correct", "demo/cohort/ben/activations.py"),
        ("buggy", "demo/cohort/eli/activations.py"), ("hostile", "tests/hostile/flood/activations.py")]
    assert origins["s003", "activations"] == "tests/hostile/exiter/activations.py"


@pytest.mark.slow
def test_floor_test_cells_hold_only_a_trivial_assert_and_nothing_imports_the_grader(bench):
    out = bench[0]
    with open(os.path.join(out, "floor", "nbgrader_config.py")) as f:
        assert "grader" not in f.read().replace("nbgrader", "")
    for nb in [nbformat.read(os.path.join(out, "floor", "release", "activations", "activations.ipynb"), as_version=4)] + \
            [submitted(out, "floor", s) for s in bench[1]]:
        tests = graded_test_cells(nb)
        assert sorted(tests) == sorted(f"test_{name}" for name in ASSIGNMENTS["activations"])
        for grade_id, cell in tests.items():
            name = grade_id.removeprefix("test_")
            # the release holds the cell with its hidden part removed; submissions as released
            assert cell.source in (TRIVIAL_TEST.format(name=name), ""), cell.source
        for cell in nb.cells:
            if cell.cell_type == "code" and not nbgrader_meta(cell).get("solution"):
                assert "grader" not in cell.source, cell.source
    source = nbformat.read(os.path.join(out, "floor", "source", "activations", "activations.ipynb"), as_version=4)
    assert graded_test_cells(source)["test_softmax"].source == TRIVIAL_TEST.format(name="softmax")


@pytest.mark.slow
def test_kit_and_floor_submissions_share_their_solution_cells(bench):
    out, kinds, _ = bench
    for student in kinds:
        kit, floor = submitted(out, "kit", student), submitted(out, "floor", student)
        assert [c.source for c in solution_cells(kit)] == [c.source for c in solution_cells(floor)]
        assert any("def softmax" in c.source for c in solution_cells(kit)), student
    kit_release = nbformat.read(os.path.join(out, "kit", "source", "activations", "activations.ipynb"), as_version=4)
    assert 'grade("softmax")' in graded_test_cells(kit_release)["test_softmax"].source


def run_code(code):
    namespace = {}
    exec(compile(code, "<student>", "exec"), namespace)
    return namespace


def test_derived_hostile_students_answer_right_and_misbehave(capfd):
    """Losses and optimizers have no hand-written hostile files: correct code plus extras."""
    logits = np.random.default_rng(0).normal(size=(4, 3))
    targets = np.array([0, 2, 1, 2])
    kind, origin, code, _ = student_code(2, "losses")
    assert (kind, origin) == ("hostile", "noisy + demo/cohort/ada/losses.py")
    with open(os.path.join(os.path.dirname(__file__), "..", "demo", "cohort", "ada", "losses.py")) as f:
        ada = run_code(f.read())
    assert run_code(code)["cross_entropy"](logits, targets) == ada["cross_entropy"](logits, targets)
    out, err = capfd.readouterr()
    assert "warning: still debugging" in err and out.count("debug") >= 1000

    kind, origin, code, _ = student_code(14, "losses")
    assert origin == "liar + demo/cohort/ben/losses.py"
    lie = run_code(code)["nll_loss"](logits, targets, None, "none")
    assert np.array_equal(np.asarray(lie), np.asarray(ada["nll_loss"](logits, targets, None, "none")))
    assert (lie == 12345).all()

    _, _, code, expected = student_code(5, "optimizers")   # the exiter: its last solution cell ends the kernel
    last = list(ASSIGNMENTS["optimizers"])[-1]
    assert cohort_setting(code, "CELL_SOURCE", {}) == {last: "import os\nos._exit(3)"}
    assert expected == {f"test_{last}": 0}


def test_the_bench_cohort_has_one_expected_scores_table(tmp_path):
    kinds, _ = write_cohort(str(tmp_path), 6, ["activations", "optimizers"])
    table = expected_scores(str(tmp_path), "optimizers")
    assert set(table) == set(kinds)
    full = {f"test_{name}": points for name, points in cell_points("optimizers").items()}
    last = f"test_{list(ASSIGNMENTS['optimizers'])[-1]}"
    assert table["s001"] == full    # correct (ada)
    dee = expected_table(COHORT)["dee"]
    assert table["s002"] == dict(full, **{g: s for g, s in dee.items() if g in full})    # buggy (dee)
    assert table["s002"]["test_SGD"] == 7 and table["s002"]["test_Adam"] == 7
    assert table["s006"] == dict(full, **{last: 0})    # the derived exiter: its last cell ends the kernel
    assert expected_scores(str(tmp_path), "activations")["s003"]["test_log_softmax"] == 0   # tests/hostile's exiter


@pytest.mark.parametrize("args", [["--out", "{precious}"], ["--modes", "floor,fast"], ["--students", "0"]])
def test_bad_input_is_refused_with_a_message_and_nothing_is_deleted(tmp_path, args):
    import subprocess
    import sys
    precious = tmp_path / "course"
    precious.mkdir()
    (precious / "gradebook.db").write_text("grades")
    script = os.path.join(os.path.dirname(__file__), "..", "bench", "autograde.py")
    proc = subprocess.run([sys.executable, script] + [a.format(precious=precious) for a in args],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "error:" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert (precious / "gradebook.db").read_text() == "grades"


def test_machine_busy_counts_the_cpu_this_process_burns():
    # The bench's CPU table measures every process a command runs (sandboxed kernels too) from
    # /proc/stat; 0.3 s of this process's CPU must show there (ticks are 10 ms; others add more).
    start, busy = time.process_time(), machine_busy()
    while time.process_time() - start < 0.3:
        pass
    assert machine_busy() - busy >= 0.25
