# cy: submitted the notebook without writing anything (every function is still a stub).
EXPECTED_SCORES = {"test_linear": 0, "test_linear_backward": 0, "test_relu_backward": 0,
                   "test_mlp_loss_and_grads": 0, "test_train": 0}
