"""A mixed pool on a real Redis: a base worker and a large-v3 worker (`oogst worker` processes), each session going
to the kind of worker its model needs, also when its message lands in the wrong queue. Fed imported transcripts, so
no model is loaded (large-v3 is not installed here: the worker's kind is its setting)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_jobs_distributed import Cluster, redis_port, script_lines, transcript  # noqa: F401 (the fixture)

from pipeline.jobs.celery_queue import TASK, kind_queue


def _worker_of(cluster: Cluster, job_worker: str | None) -> int:
    return next(i for i, w in enumerate(cluster.workers) if job_worker and job_worker.endswith(f":{w.pid}"))


@pytest.mark.slow
@pytest.mark.needs_service("redis-server")
def test_a_mixed_pool_sends_each_session_to_its_kind_of_worker(redis_port: int, tmp_path: Path) -> None:  # noqa: F811
    cluster = Cluster(tmp_path, redis_port, 2)
    queue = cluster.queue()
    queue.db.flushdb()
    cluster.start_worker()  # the default kind: base, int8
    default_env = cluster.env
    cluster.env = {**default_env, "OOGST_MODEL": "large-v3"}
    cluster.start_worker()  # large-v3, int8
    cluster.env = default_env
    try:
        cluster.wait_ready(timeout=240)
        assert "takes the jobs of base in int8 on the CPU (queue oogst.base.int8, oogst)" in cluster.log(0)
        assert "takes the jobs of large-v3 in int8 on the CPU (queue oogst.large-v3.int8)" in cluster.log(1)
        kinds = {(k["model"], k["compute_type"]) for k in queue.kinds()}
        assert kinds == {("base", "int8"), ("large-v3", "int8")}
        lines = script_lines()
        plain = transcript(tmp_path / "gewoon.txt", lines[:10])
        large = transcript(tmp_path / "groot.txt", lines[10:20])
        for args in ([str(plain)], [str(large), "--model", "large-v3"]):
            done = cluster.oogst("run", *args)
            assert done.returncode == 0, done.stderr + cluster.log(0) + cluster.log(1)
        [plain_job] = queue.list("gewoon")
        [large_job] = queue.list("groot")
        assert (plain_job.params["model"], large_job.params["model"]) == ("base", "large-v3")
        assert _worker_of(cluster, plain_job.worker) == 0 and _worker_of(cluster, large_job.worker) == 1
        # a message in the wrong queue (a redelivery after a config change): the base worker hands it on
        again = transcript(tmp_path / "nogmaals.txt", lines[20:30])
        queue._send = lambda job_id, params: None  # type: ignore[method-assign]  # the record only, no message
        job = queue.submit("run", "nogmaals", str(again), {"model": "large-v3", "compute_type": "int8"})
        queue.app.send_task(TASK, args=[job.id], queue=kind_queue("base", "int8"))
        deadline = time.monotonic() + 240
        while (current := queue.get(job.id)) is not None and current.status != "done":
            assert current.status != "failed" and time.monotonic() < deadline, cluster.log(0) + cluster.log(1)
            time.sleep(0.5)
        assert current is not None and _worker_of(cluster, current.worker) == 1
        assert f"job {job.id} needs a large-v3/int8 worker" in cluster.log(0)
    finally:
        cluster.stop()
        queue.db.flushdb()
