"""The cell summary: what the grader found in one graded cell, for reports and dashboards.

The trusted pipeline (grader.grading.pipeline.ScoreFromRecords) writes one into each graded
test cell of an autograded notebook, as `cell.metadata["grader"] = summary.to_json()`; the
class report (grader.instructor.report) reads it back with `CellSummary.from_json`. The JSON
carries a schema version, so a report made by a newer kit still reads older notebooks.

Versions: 1 (no "version" key) named mistakes as `Likely mistake:` lines; 2 as
{"name", "fix"} objects; 3 adds each check's `divergences` (where failing runs left torch's path).
"""
import dataclasses

from grader.engine.findings import Finding

SCHEMA_VERSION = 3


class SchemaError(ValueError):
    """A cell summary this kit cannot read (malformed, or written by a newer kit)."""


@dataclasses.dataclass
class CheckSummary:
    name: str                 # the check (test function), e.g. "test_softmax_stability"
    category: str
    points: float
    passed: bool
    cases: int
    failed_cases: list = dataclasses.field(default_factory=list)   # case ids
    internal_errors: int = 0  # cases where the check itself failed (a grader bug)
    unchecked_cases: list = dataclasses.field(default_factory=list)   # no reference here: no point lost
    # [[mistake name or "", step]]: for each failing case that is a run (an optimizer), the first
    # step where it left torch's path, with the known mistake named there (if any)
    divergences: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class CellSummary:
    api: str
    score: float
    max_score: float
    problem: str = ""         # the runner could not run the checks at all
    mistakes: list = dataclasses.field(default_factory=list)    # [Finding], distinct, in order
    warnings: dict = dataclasses.field(default_factory=dict)    # warning text -> calls that raised it
    checks: list = dataclasses.field(default_factory=list)      # [CheckSummary]
    # What the pipeline saw of the cell in the autograded notebook:
    recorded: bool = True     # the cell's grading code recorded its answers
    notes: list = dataclasses.field(default_factory=list)       # notes shown above the report
    errors: list = dataclasses.field(default_factory=list)      # error names of the cell's outputs
    timed_out_calls: int = 0  # calls of the student's code that ran out of time

    def to_json(self) -> dict:
        data = {"version": SCHEMA_VERSION, **dataclasses.asdict(self)}
        data["mistakes"] = [f.to_json() for f in self.mistakes]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "CellSummary":
        """Read a summary of any known version; SchemaError if it cannot be read."""
        try:
            version = data.get("version", 1)
            if version not in (1, 2, SCHEMA_VERSION):
                raise SchemaError(f"cell summary version {version!r}: written by a newer kit?")
            fields = {f.name for f in dataclasses.fields(cls)}
            values = {k: v for k, v in data.items() if k in fields}
            if version == 1:
                values["mistakes"] = [f for f in map(Finding.parse, data.get("mistakes", [])) if f]
            else:
                values["mistakes"] = [Finding.from_json(m) for m in data.get("mistakes", [])]
            values["checks"] = [CheckSummary(**c) for c in data.get("checks", [])]
            return cls(**values)
        except SchemaError:
            raise
        except (AttributeError, KeyError, TypeError) as exc:
            raise SchemaError(f"malformed cell summary ({type(exc).__name__}: {exc})") from None
