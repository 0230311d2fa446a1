# cy: submitted the notebook without writing anything (every function is still a stub).
