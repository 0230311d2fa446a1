"""The scores the kit must award each demo student: one table for the whole cohort.

A cell a student's entry does not list is worth full marks (its points in grader/suites/) if the
student's file defines that name, and 0 if it does not (the notebook's stub earns nothing): so
adding an exercise needs no change here. A cell is listed where its student must lose points.
Read by grader.instructor.cohort.expected_scores (tests/test_end_to_end.py, the bench).
"""
EXPECTED_SCORES = {
    "ada": {},   # correct, vectorised
    "ben": {},   # correct in other styles: logaddexp, float64 results, loops
    "cy": {},    # wrote nothing: every function is a stub, every cell 0
    # typical mistakes (softmax over axis 0, weighted mean divided by N, ...)
    "dee": {"test_softmax": 0, "test_log_softmax": 4, "test_nll_loss": 4, "test_cross_entropy": 4,
            "test_cross_entropy_grad": 1, "test_binary_cross_entropy": 5,
            "test_binary_cross_entropy_with_logits": 4, "test_kl_div": 2, "test_SGD": 7,
            "test_Adam": 7, "test_relu_backward": 3, "test_mlp_loss_and_grads": 7, "test_train": 2},
    # unstable formulas and wrong derivatives
    "eli": {"test_sigmoid": 3, "test_sigmoid_grad": 0, "test_softmax": 4, "test_log_softmax": 4,
            "test_nll_loss": 0, "test_cross_entropy": 2, "test_cross_entropy_grad": 0,
            "test_binary_cross_entropy": 6, "test_binary_cross_entropy_with_logits": 4,
            "test_kl_div": 0, "test_SGD": 7, "test_Adam": 0, "test_linear": 0, "test_linear_backward": 4,
            "test_mlp_loss_and_grads": 7, "test_train": 5},
    # wrong answers in test cells tagged `skip-execution`
    "fay": {"test_sigmoid": 0, "test_sigmoid_grad": 0, "test_softmax": 0, "test_log_softmax": 0,
            "test_nll_loss": 0, "test_cross_entropy": 0, "test_cross_entropy_grad": 0,
            "test_binary_cross_entropy": 0, "test_binary_cross_entropy_with_logits": 0,
            "test_kl_div": 0, "test_SGD": 0, "test_Adam": 0},
    "gus": {},   # correct, and prints to stderr on every call
    # a broken notebook: a NameError in the first solution cell, time-outs
    "hal": {"test_sigmoid": 0, "test_sigmoid_grad": 0, "test_softmax": 4},
    # the kernel dies in the softmax cell
    "ivy": {"test_softmax": 0, "test_log_softmax": 0},
}
