"""How many threads the heavy steps use, and how run_parallel behaves (surveyindex/_threads.py)."""

from __future__ import annotations

import pytest

from surveyindex._threads import MAX_THREADS, run_parallel, threads


def test_thread_count_from_the_environment(monkeypatch):
    monkeypatch.delenv("SURVEYINDEX_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")        # as a dask worker sets it
    assert threads() == 3
    monkeypatch.setenv("SURVEYINDEX_THREADS", "1")     # ours first
    assert threads() == 1
    monkeypatch.delenv("SURVEYINDEX_THREADS")
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert 1 <= threads() <= MAX_THREADS


def test_a_bad_thread_count_is_said_and_ignored(monkeypatch):
    monkeypatch.setenv("SURVEYINDEX_THREADS", "two")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    with pytest.warns(RuntimeWarning, match="SURVEYINDEX_THREADS='two' is not a whole number"):
        assert threads() == 2


@pytest.mark.parametrize("workers", [1, 2, 5])
def test_results_in_order_and_errors_raised(workers):
    assert run_parallel(lambda k: k * 10, 7, workers=workers) == [0, 10, 20, 30, 40, 50, 60]
    assert run_parallel(lambda k: k, 0, workers=workers) == []

    def fail(k):
        if k == 3:
            raise ValueError("piece 3")
        return k

    with pytest.raises(ValueError, match="piece 3"):
        run_parallel(fail, 6, workers=workers)
