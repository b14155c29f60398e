"""The wall-time bound on pure-Python blocks (sympy's simplify)."""

import signal
import sys

import pytest

from hypo.time_bound import TimeBoundExceeded, within_seconds


def _spin():
    while True:
        pass


def test_a_block_past_its_seconds_is_interrupted_and_the_timer_cleared():
    with pytest.raises(TimeBoundExceeded):
        with within_seconds(0.05):
            _spin()
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_an_alarm_swallowed_once_is_raised_again():
    """A gc callback swallows what it raises; the bound must still hold."""
    with pytest.raises(TimeBoundExceeded):
        with within_seconds(0.05):
            try:
                _spin()
            except TimeBoundExceeded:
                pass  # lost, as inside a gc callback
            _spin()


def test_a_block_within_its_seconds_runs_to_the_end():
    with within_seconds(5):
        total = sum(range(1000))
    assert total == 499500 and signal.getitimer(signal.ITIMER_REAL)[0] == 0


class _SlowToDelete:
    def __del__(self):
        _spin()


def test_an_alarm_inside_a_del_callback_prints_no_traceback(capfd):
    """Python prints what a __del__ or weakref callback raises; the bound's own alarm must stay quiet."""
    reported = []
    previous, sys.unraisablehook = sys.unraisablehook, reported.append
    try:
        with pytest.raises(TimeBoundExceeded):
            with within_seconds(0.05):
                doomed = _SlowToDelete()
                del doomed  # __del__ spins until the alarm; Python swallows it there
                _spin()
        assert sys.unraisablehook == reported.append
    finally:
        sys.unraisablehook = previous
    assert reported == []
    assert "Traceback" not in capfd.readouterr().err


def test_other_unraisable_errors_still_reach_the_hook():
    from hypo.time_bound import _quiet_about_the_bound
    reported = []
    hook = _quiet_about_the_bound(reported.append)

    class Unraisable:
        exc_value = ValueError("not ours")

    hook(Unraisable)
    hook(type("Ours", (), {"exc_value": TimeBoundExceeded("ours")}))
    assert reported == [Unraisable] and sys.unraisablehook is not hook
