# cy: submitted the notebook without writing anything (every function is still a stub).
EXPECTED_SCORES = {"test_sigmoid": 0, "test_sigmoid_grad": 0, "test_softmax": 0, "test_log_softmax": 0}
