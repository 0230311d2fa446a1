"""Facts travel between modules as objects: named mistakes (Finding, whose one line format
lives in grader.engine.findings), the versioned cell summary the class report reads, and the
error names the pipeline writes."""
import nbclient.exceptions
import pytest

from grader.engine.findings import Finding
from grader.engine.summary import SCHEMA_VERSION, CellSummary, CheckSummary, SchemaError
from grader.grading import cells


def test_a_finding_is_one_line_and_reads_back():
    finding = Finding("softmax normalised over axis 0", "sum over the axis you are given")
    assert finding.line() == "Likely mistake: softmax normalised over axis 0. Fix: sum over the axis you are given"
    assert Finding.parse(finding.line()) == finding
    assert Finding.parse("  Likely mistake: indented lines are report text") is None
    assert Finding.from_json(finding.to_json()) == finding


def summary():
    return CellSummary(api="softmax", score=4.0, max_score=6.0, mistakes=[Finding("axis 0", "use axis")],
                       warnings={"RuntimeWarning: overflow": 2},
                       checks=[CheckSummary("test_softmax_axis", "options", 2.0, False, 6, ["3d-axis1"], 0)],
                       recorded=True, notes=["Note: x"], errors=[], timed_out_calls=1)


def test_a_cell_summary_round_trips_through_json_with_its_version():
    data = summary().to_json()
    assert data["version"] == SCHEMA_VERSION == 3
    assert data["mistakes"] == [{"name": "axis 0", "fix": "use axis"}]
    assert CellSummary.from_json(data) == summary()


def test_a_version_1_summary_is_still_read():
    # What kits before the schema wrote: no version, mistakes as `Likely mistake:` lines.
    old = {k: v for k, v in summary().to_json().items() if k != "version"}
    old["mistakes"] = ["Likely mistake: axis 0. Fix: use axis"]
    assert CellSummary.from_json(old) == summary()


def test_a_version_2_summary_is_still_read():
    # Version 2 had no divergences: they read as none.
    old = summary().to_json()
    old["version"] = 2
    for check in old["checks"]:
        del check["divergences"]
    assert CellSummary.from_json(old) == summary()


def test_unreadable_summaries_are_refused_with_schema_error():
    with pytest.raises(SchemaError, match="newer kit"):
        CellSummary.from_json({**summary().to_json(), "version": 4})
    with pytest.raises(SchemaError, match="malformed"):
        CellSummary.from_json({"version": 3, "api": "softmax"})
    with pytest.raises(SchemaError, match="malformed"):
        CellSummary.from_json({**summary().to_json(), "checks": [{"nom": 1}]})


def test_error_names_are_nbclients_and_defined_once():
    assert cells.KERNEL_DIED == nbclient.exceptions.DeadKernelError.__name__
    assert cells.CELL_TIMED_OUT == nbclient.exceptions.CellTimeoutError.__name__
    assert cells.NOT_RUN == "NotRun"
