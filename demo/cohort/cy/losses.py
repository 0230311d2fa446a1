# cy: submitted the notebook without writing anything (every function is still a stub).
EXPECTED_SCORES = {"test_nll_loss": 0, "test_cross_entropy": 0, "test_cross_entropy_grad": 0,
                   "test_binary_cross_entropy": 0, "test_binary_cross_entropy_with_logits": 0, "test_kl_div": 0}
