"""Background workers: one thread per process and job, woken after commits and on a timer.

The e-mail outbox and the search indexer both apply rows written in a transaction once it has
committed. A worker runs its job in an app context, first when started, then whenever it is
woken and at least every ``interval`` seconds (retries, embargoes that end). Workers are
registered per (job, app) and checked against the process id: a thread does not survive a
fork, so a forked gunicorn worker starts its own.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from exchange.extensions import db

log = logging.getLogger(__name__)


class BackgroundWorker:
    def __init__(
        self,
        app,
        name: str,
        job: Callable[[], object],
        interval: float,
        expected: tuple[type[BaseException], ...] = (),
    ):
        self.app = app
        self.name = name
        self.job = job
        self.interval = interval
        self.expected = expected
        self.event = threading.Event()
        self.stopping = False
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def wake(self) -> None:
        self.event.set()

    def stop(self) -> None:
        self.stopping = True
        self.event.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        while not self.stopping:
            try:
                with self.app.app_context():
                    try:
                        self.job()
                    finally:
                        db.session.remove()
            except self.expected as error:
                log.info("%s: %s; will retry", self.name, error)
            except Exception:
                log.exception("%s pass failed; will retry", self.name)
            self.event.wait(timeout=self.interval)
            self.event.clear()


_workers: dict[tuple[str, int], BackgroundWorker] = {}
_lock = threading.Lock()


def worker_for(app, name: str, job, interval: float, expected=()) -> BackgroundWorker:
    """This process's worker ``name`` for ``app``, started on first use."""
    with _lock:
        worker = _workers.get((name, id(app)))
        if worker is None or worker.pid != os.getpid():
            worker = _workers[(name, id(app))] = BackgroundWorker(
                app, name, job, interval, expected
            )
        return worker


def stop_workers(name: str | None = None) -> None:
    """Stop this process's workers (all, or those called ``name``): tests, orderly shutdown."""
    with _lock:
        chosen = [key for key in _workers if name is None or key[0] == name]
        workers = [_workers.pop(key) for key in chosen]
    for worker in workers:
        worker.stop()
