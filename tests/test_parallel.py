"""pipelines.parallel: forked workers for per-post work."""

from __future__ import annotations

import os

import pytest

from pipelines.parallel import fork_pool, split


def test_split_keeps_order_and_sizes_differ_by_at_most_one() -> None:
    parts = split(list(range(10)), 3)
    assert [list(p) for p in parts] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert split([1], 4) == [[1]]
    assert [list(p) for p in split(range(0), 2)] == [[]]


def test_workers_share_what_the_parent_loaded_and_return_in_order() -> None:
    loaded = {"model": "weights the parent loaded"}  # a closure, never pickled

    def task(numbers: list[int]) -> tuple[int, str, list[int]]:
        return os.getpid(), loaded["model"], [n * n for n in numbers]

    with fork_pool(task, 2) as pool:
        assert pool.processes == 2
        results = pool.map([([1, 2],), ([3],), ([4, 5],)])
    assert [squares for _, _, squares in results] == [[1, 4], [9], [16, 25]]
    assert {model for _, model, _ in results} == {"weights the parent loaded"}
    assert os.getpid() not in {pid for pid, _, _ in results}


def test_a_failing_chunk_raises_in_the_parent() -> None:
    def task(value: int) -> int:
        if value == 2:
            raise ValueError("bad post 2")
        return value

    with pytest.raises(ValueError, match="bad post 2"), fork_pool(task, 2) as pool:
        pool.map([(1,), (2,), (3,)])


def test_one_process_runs_in_this_process() -> None:
    with fork_pool(lambda: os.getpid(), 1) as pool:
        assert pool.processes == 1
        assert pool.map([(), ()]) == [os.getpid(), os.getpid()]


@pytest.mark.parametrize("processes", [1, 2])
def test_ahead_gives_each_jobs_results_in_order_while_the_next_is_read(processes: int) -> None:
    read: list[str] = []

    def jobs():  # type: ignore[no-untyped-def]
        for key in ("a", "b", "c"):
            read.append(key)
            yield key, [(key, 1), (key, 2)]

    seen = []
    with fork_pool(lambda key, n: f"{key}{n}", processes) as pool:
        for key, results in pool.ahead(jobs()):
            seen.append((key, results, list(read)))
    # When a job's results arrive, the job after it has already been read and started.
    assert seen == [
        ("a", ["a1", "a2"], ["a", "b"]),
        ("b", ["b1", "b2"], ["a", "b", "c"]),
        ("c", ["c1", "c2"], ["a", "b", "c"]),
    ]
