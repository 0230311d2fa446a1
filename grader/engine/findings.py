"""A named mistake found in a wrong answer, and the one line that shows it.

SPEC ("Explained"): each named mistake is printed on its own line beginning `Likely mistake:`,
so that TAs and tools can find and count them. This module owns that line: `Finding.line()`
writes it and `Finding.parse()` reads it back. Everything else passes Finding objects around
(in Mismatch, GradeResult.mistakes and the cell summaries the reports read).
"""
import dataclasses

PREFIX = "Likely mistake: "
FIX = ". Fix: "


@dataclasses.dataclass(frozen=True)
class Finding:
    """A known mistake that explains a wrong answer: what it is, and how to fix it."""

    name: str
    fix: str

    def line(self) -> str:
        return f"{PREFIX}{self.name}{FIX}{self.fix}"

    @classmethod
    def parse(cls, line: str) -> "Finding | None":
        """The Finding a `Likely mistake:` line shows, or None for any other line."""
        if not line.startswith(PREFIX):
            return None
        name, _, fix = line[len(PREFIX):].partition(FIX)
        return cls(name, fix)

    def to_json(self) -> dict:
        return {"name": self.name, "fix": self.fix}

    @classmethod
    def from_json(cls, data: dict) -> "Finding":
        return cls(str(data["name"]), str(data["fix"]))
