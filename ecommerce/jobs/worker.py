"""The RQ worker class the `worker` role runs (settings.RQ["WORKER_CLASS"]).

RQ's default worker forks a work horse for every job. Here a fork is costly:
the child starts with no database connection, so each job built a fresh
psycopg pool (its ``min_size`` connections, each a new PostgreSQL backend) and
threw it away when it exited. Measured with `make bench` at 30 orders a second
(two jobs each): a third of a 2-core machine in system time, and the payments
queue 34 s behind when the load stopped.

This worker runs jobs in its own process, like RQ's SimpleWorker, so the pool
and the Redis connections live as long as the worker. Between jobs it does
what Django does between requests: connections go back to the pool, and one
that broke (a PostgreSQL restart) is dropped instead of failing the next job.
Job timeouts still hold (RQ's SIGALRM death penalty runs in this process). A
job that kills the process takes the worker with it; Kubernetes restarts the
container, and RQ's registry maintenance finds the job abandoned and retries
it (attempts left) or fails it, as for a killed work horse (see the drill in
tests/drills/test_worker_killed_mid_payment.py); a lost charge is also
re-queued by payments_sweep. Set ``RQ_WORKER_CLASS=rq.worker.Worker`` to go back
to a fork per job.
"""

from typing import Any

from django.db import close_old_connections
from rq.worker import SimpleWorker


class JobWorker(SimpleWorker):
    def execute_job(self, job: Any, queue: Any) -> None:
        close_old_connections()
        try:
            super().execute_job(job, queue)
        finally:
            close_old_connections()
