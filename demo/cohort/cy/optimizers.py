# cy: submitted the notebook without writing anything (both classes are still stubs).
