"""Whose inputs a run of the checks uses: the public ones, or one student's secret ones.

Every case of every check draws its inputs from its own random generator (grader.suites,
"cases"). `Inputs` says how that generator is seeded:

- `Inputs.public(assignment)`: a fixed, public seed. The students' self-checks (`check()`,
  `grade()` at home) run the public checks on these inputs, and the public bank
  (grader/bank/) holds torch's answers for them. Anyone can compute them.
- `Inputs.secret(secret, student, assignment)`: seeded by the course secret (see
  grader.grading.secret) and the student. While autograding every check, public ones too,
  draws its inputs this way, so each student has inputs of their own that nobody can know
  without the secret, and the same student gets the same inputs on every run.

A case's generator is numpy's PCG64 seeded with the SHA-256 of (seed material, check, case
id): cases are independent of each other and of which checks run, and the same seed gives
the same bits on every CPU (the suites draw with integer streams and exactly rounded
operations only; grader.suites).
"""
import dataclasses
import hashlib

import numpy as np

_DOMAIN = b"dl-grader inputs v1"


@dataclasses.dataclass(frozen=True)
class Inputs:
    kind: str            # "public" or "secret"
    assignment: str
    material: bytes = dataclasses.field(repr=False)   # hashed into every case's seed; never shown

    @classmethod
    def public(cls, assignment: str) -> "Inputs":
        return cls("public", assignment, _join(_DOMAIN, b"public", assignment.encode()))

    @classmethod
    def secret(cls, secret: bytes, student: str, assignment: str) -> "Inputs":
        if not secret:
            raise ValueError("an empty course secret")
        return cls("secret", assignment, _join(_DOMAIN, b"secret", secret, student.encode(), assignment.encode()))

    @property
    def is_secret(self) -> bool:
        return self.kind == "secret"

    def rng(self, check: str, case: str) -> np.random.Generator:
        """The generator of one case of one check."""
        digest = hashlib.sha256(_join(self.material, check.encode(), case.encode())).digest()
        return np.random.Generator(np.random.PCG64(int.from_bytes(digest, "big")))


def _join(*parts: bytes) -> bytes:
    # length-prefixed, so that no two different tuples of parts hash the same bytes
    return b"".join(len(p).to_bytes(8, "big") + p for p in parts)
