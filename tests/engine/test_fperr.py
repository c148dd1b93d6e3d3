"""engine._fperr: the cheap ``np.errstate(all="ignore")`` is exactly that state."""

import warnings

import numpy as np
import pytest

import engine
from engine._fperr import Quiet, ignore, restore


def test_ignore_is_errstate_ignore_and_restores():
    before = np.geterr()
    with np.errstate(all="ignore"):
        want = np.geterr()
    token = ignore()
    try:
        assert np.geterr() == want
        np.float32(1e30) * np.float32(1e30)  # no warning, no error
    finally:
        restore(token)
    assert np.geterr() == before
    with Quiet():
        assert np.geterr() == want
    assert np.geterr() == before


def test_ignore_follows_the_callers_state():
    with np.errstate(over="raise"):  # a new outer state: "ignore all" is made from it
        with Quiet():
            assert np.geterr()["over"] == "ignore"
        with pytest.raises(FloatingPointError):
            np.float32(1e30) * np.float32(1e30)
    bufsize = np.getbufsize()
    with np.errstate(all="ignore"):  # the other state object, then back to the first
        with Quiet():
            assert np.getbufsize() == bufsize


def test_ops_stay_quiet_and_leave_no_state_behind():
    x = engine.tensor([0.0, 1e30, -1.0])
    with np.errstate(all="raise"), warnings.catch_warnings():  # (engine's import: "ignore")
        warnings.simplefilter("error")
        before = np.geterr()
        out = (x.log(), x / 0, x.norm(), x.sqrt())
        assert np.geterr() == before
    assert out[2].item() == float("inf")
