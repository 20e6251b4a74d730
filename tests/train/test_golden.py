"""Training reproduces the golden trajectories (``tests/train/golden``) to 1e-10 relative: every ready
problem and every optimiser, weighting and sampling scheme, 30 first-order steps and 10 L-BFGS
iterations in float64."""

import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "golden"))

from cases import CASES, run  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "golden", "trajectories.json")) as _file:
    GOLDEN = json.load(_file)


def test_every_case_is_recorded():
    assert sorted(GOLDEN) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_trajectory_matches_the_golden_one(name):
    history, golden = run(name), GOLDEN[name]
    assert sorted(history) == sorted(golden)
    for column, values in golden.items():
        np.testing.assert_allclose(history[column], values, rtol=1e-10, atol=1e-300, err_msg=f"{name}: {column}")
