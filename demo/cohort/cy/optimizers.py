# cy: submitted the notebook without writing anything (both classes are still stubs).
EXPECTED_SCORES = {"test_SGD": 0, "test_Adam": 0}
