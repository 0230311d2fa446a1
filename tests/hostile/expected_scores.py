"""The scores the kit must award each hostile or broken submission: one table for the folder.

As demo/cohort/expected_scores.py: a cell not listed is worth full marks if the student's file
defines that name, 0 if not (the stub); a cell is listed where its student must lose points.
Read by grader.instructor.cohort.expected_scores (tests/test_hostile.py, the bench).
"""
EXPECTED_SCORES = {
    # edits test cells (test_sigmoid just shows 5.0); a wrong sigmoid
    "editor": {"test_sigmoid": 0, "test_sigmoid_grad": 0},
    # right answers, but the log_softmax cell ends the kernel with os._exit
    "exiter": {"test_log_softmax": 0},
    "flood": {},   # right answers, and 20 MB of output
    # returns arrays whose comparisons lie
    "liar": {"test_sigmoid": 0, "test_sigmoid_grad": 0, "test_softmax": 0, "test_log_softmax": 0},
    # endless loops: sigmoid_grad in each call, log_softmax ignoring interrupts
    "looper": {"test_sigmoid_grad": 0, "test_log_softmax": 0},
    # wrong answers, and numpy's comparisons and the grader monkeypatched
    "patcher": {"test_sigmoid": 0, "test_sigmoid_grad": 0, "test_softmax": 0, "test_log_softmax": 0},
    "recorder": {},   # right answers, and forged grading records
    # exceptions, wrong shapes, NaN and non-numbers
    "raiser": {"test_sigmoid": 0, "test_sigmoid_grad": 0, "test_softmax": 0, "test_log_softmax": 0},
    # tries to read the solutions, the bank and other students' work
    "reader": {"test_sigmoid": 0, "test_sigmoid_grad": 0, "test_softmax": 0, "test_log_softmax": 0},
    # softmax segfaults the kernel
    "segv": {"test_softmax": 0, "test_log_softmax": 0},
    # active content everywhere; softmax raises with a script in its message
    "scripter": {"test_softmax": 0},
    "seterr": {},   # right (if naive) code in a notebook that set np.seterr(all="raise")
    # a syntax error in the sigmoid cell
    "syntax": {"test_sigmoid": 0, "test_sigmoid_grad": 0},
    # right answers in notebooks whose cells a student pasted twice, duplicated, added, or re-tagged
    # (tests/test_intake.py has the attacks through files and student ids)
    "paster": {}, "twin": {}, "adder": {}, "promoter": {}, "retagger": {},
    # calls torch and scipy instead of implementing
    "torcher": {"test_sigmoid": 0, "test_softmax": 0},
    # tries every way out of the sandbox (chroot, umount, pivot_root, /proc, fds, ptrace, writes)
    "escaper": {"test_sigmoid": 0, "test_sigmoid_grad": 0, "test_softmax": 0, "test_log_softmax": 0},
    # listens for other kernels and the network (graded with --jobs 2 in tests/test_sandbox.py too)
    "sniffer": {"test_sigmoid": 0, "test_sigmoid_grad": 0, "test_softmax": 0, "test_log_softmax": 0},
    # bombs in the softmax solution cell: the kernel is stopped at its limit, earlier cells keep their points
    "memhog": {"test_softmax": 0, "test_log_softmax": 0},
    "tmpfiller": {"test_softmax": 0, "test_log_softmax": 0},
    "diskfiller": {"test_softmax": 0, "test_log_softmax": 0},
    "forkbomb": {"test_softmax": 0, "test_log_softmax": 0},
    "threadbomb": {"test_softmax": 0, "test_log_softmax": 0},
    "zvictim": {},   # correct, graded after every attacker
}
