"""Kept for existing courses: their nbgrader_config.py names
`grader.sandbox.SandboxedKernelManager`. The sandbox lives in grader/grading/sandbox.py."""
from grader.grading.sandbox import SandboxedKernelManager  # noqa: F401
