"""A call computed in a forked process: its value comes back; a failure, a
death or a late answer is MISSING, and the child never outlives the call."""

import os
import signal
import time

import numpy as np
import pytest

from search.forked_call import MISSING, ForkedCall, can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="this platform does not fork")


def _child_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_value_comes_back_from_the_child_even_when_large():
    values = np.arange(300_000, dtype=float)  # 2.4 MB: many times a pipe's buffer
    with ForkedCall(np.cumsum, values) as call:
        result = call.result()
    np.testing.assert_array_equal(result, np.cumsum(values))


def test_the_child_runs_in_another_process():
    with ForkedCall(os.getpid) as call:
        assert call.result() not in (MISSING, os.getpid())


def test_an_exception_in_the_child_is_missing_not_raised():
    with ForkedCall(int, "not a number") as call:
        assert call.result() is MISSING


def test_a_child_that_dies_gives_missing():
    with ForkedCall(lambda: os.kill(os.getpid(), signal.SIGKILL)) as call:  # getpid runs in the child
        assert call.result(time.perf_counter() + 10) is MISSING


def test_a_late_child_is_missing_and_ended_at_the_deadline():
    with ForkedCall(time.sleep, 30) as call:
        pid = call._pid
        started = time.perf_counter()
        assert call.result(time.perf_counter() + 0.2) is MISSING
        assert time.perf_counter() - started < 5
    assert not _child_exists(pid)


def test_the_child_ignores_ctrl_c_which_is_the_parents():
    def wait_for_interrupt():
        os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt if not ignored
        return "finished"

    with ForkedCall(wait_for_interrupt) as call:
        assert call.result(time.perf_counter() + 10) == "finished"


def test_closing_twice_is_harmless():
    call = ForkedCall(sum, [1, 2])
    call.close()
    call.close()


def test_two_processes_share_the_jobs_and_the_values_keep_the_jobs_order():
    from search.forked_call import in_two_processes

    def job(index):
        time.sleep(0.02)  # long enough that both processes get some
        return index, os.getpid()

    values = in_two_processes([lambda index=index: job(index) for index in range(40)])
    assert [index for index, _ in values] == list(range(40))
    assert len({pid for _, pid in values}) == 2


def test_jobs_the_fork_did_not_deliver_by_the_deadline_are_missing():
    from search.forked_call import in_two_processes

    parent = os.getpid()

    def slow_in_the_fork():
        time.sleep(30 if os.getpid() != parent else 0.3)  # the fork takes the second while this one works
        return "done"

    started = time.perf_counter()
    values = in_two_processes([slow_in_the_fork, slow_in_the_fork], deadline=time.perf_counter() + 1.0)
    assert time.perf_counter() - started < 10
    assert values.count("done") == 1 and values.count(MISSING) == 1
