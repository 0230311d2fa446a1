"""The trusted nbgrader side: preprocessors, the grading kernel's sandbox and its launcher.
Runs in nbgrader's process (never in a student's kernel, except grading/kernel.py, the
kernel's own entry point)."""
