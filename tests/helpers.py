"""Small assertions shared by the model tests."""

import numpy as np


def snapshot(variables):
    """Copies of the variables' current values."""
    return [np.array(variable.numpy()) for variable in variables]


def changed(before, variables):
    """For each variable, whether its value differs from the `snapshot` taken earlier."""
    return [not np.array_equal(old, variable.numpy()) for old, variable in zip(before, variables)]


def one_line_error(capsys, contains):
    """Assert stderr is one line containing `contains`, with no traceback; return it."""
    err = capsys.readouterr().err.strip()
    assert contains in err, err
    assert "\n" not in err and "Traceback" not in err, err
    return err
