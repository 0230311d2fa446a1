"""The grading kernel: ipykernel, with the reference libraries refused at import and the
kernel's process limit set.

Started by grader.grading.sandbox instead of `ipykernel_launcher`, as
`python -P -m grader.grading.kernel --max-processes=N -f CONNECTION_FILE`. Importing torch,
scipy, jax or tensorflow raises an ImportError that says why, so a solution that calls the
reference fails with a readable reason (the sandbox does not even hold the packages' files, so
removing this hook does not help). RLIMIT_NPROC is set here, inside the sandbox's own user
namespace, where it counts only this kernel's processes and threads (set outside, it would
count every process of the instructor's user).
"""
import resource
import sys

from grader.grading.sandbox import BLOCKED_PACKAGES

MESSAGE = ("{name} is not available while grading: the reference libraries (torch, scipy, ...) are "
           "blocked, and an implementation that calls them earns no credit. Implement it with numpy.")
PROCESSES = "--max-processes="


class RefuseReferenceLibraries:
    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in BLOCKED_PACKAGES:
            raise ImportError(MESSAGE.format(name=top), name=fullname)
        return None


def limit_processes(argv: list) -> list:
    """Apply and drop `--max-processes=N` from the command line (ipykernel would refuse it)."""
    for arg in argv:
        if arg.startswith(PROCESSES):
            n = int(arg[len(PROCESSES):])
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
    return [arg for arg in argv if not arg.startswith(PROCESSES)]


if __name__ == "__main__":
    sys.argv = limit_processes(sys.argv)
    sys.meta_path.insert(0, RefuseReferenceLibraries())
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()
