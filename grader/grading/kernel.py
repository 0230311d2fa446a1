"""The grading kernel: ipykernel, with the reference libraries refused at import.

Started by grader.grading.sandbox instead of `ipykernel_launcher`. Importing torch, scipy, jax or
tensorflow raises an ImportError that says why, so a solution that calls the reference fails
with a readable reason (the sandbox also hides the packages' files, so removing this hook
does not help).
"""
import sys

from grader.grading.sandbox import BLOCKED_PACKAGES

MESSAGE = ("{name} is not available while grading: the reference libraries (torch, scipy, ...) are "
           "blocked, and an implementation that calls them earns no credit. Implement it with numpy.")


class RefuseReferenceLibraries:
    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in BLOCKED_PACKAGES:
            raise ImportError(MESSAGE.format(name=top), name=fullname)
        return None


if __name__ == "__main__":
    sys.meta_path.insert(0, RefuseReferenceLibraries())
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()
