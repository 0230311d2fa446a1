"""The engine: numpy + pytest only. Runs in the student's kernel (self-checks, recording answers)
and in the trusted grading process (judging records): calling student code, comparing with
references, naming mistakes, running suites, playing optimizer runs."""
