"""gunicorn hook shared by both benchmarked servers: tell the harness when a worker is ready.

Workers import the application after they fork, so the first answer from a server does not
mean that every worker has finished loading. Each worker touches a file named after its pid in
$BENCH_READY_DIR once the app is loaded; the harness waits for one file per worker.
"""

import os
from pathlib import Path


def post_worker_init(worker):
    ready_dir = os.environ.get("BENCH_READY_DIR")
    if ready_dir:
        Path(ready_dir, str(worker.pid)).touch()
