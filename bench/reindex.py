"""Reindex benchmark: ``indexer.reindex()`` on the search benchmark's corpus, timed alone.

Seeds a temporary instance like ``bench/search.py`` (same ``Corpus`` and ``seed_database``,
same settings), then times ``exchange.search.indexer.reindex()`` -- what
``flask exchange search reindex`` runs -- and prints one JSON line: documents/s on the wall
clock and per CPU second (this process plus its worker processes), the adding and final
commit phases, the CPU other processes used meanwhile (the machine is shared), peak memory,
index size and segments.

The seeded database is kept in ``--cache`` (default ``$TMPDIR/exchange-reindex-bench``), one file
per corpus size and seed, and copied for each run, so repeated runs skip the seeding (about
50 s for 50,000 documents).

    .venv/bin/python bench/reindex.py                  # 50,000 documents
    .venv/bin/python bench/reindex.py --docs 5000 --procs 1
    .venv/bin/python bench/reindex.py --docs 5000 --profile /tmp/reindex.prof
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402

from bench.search import Corpus, folder_size, make_app, seed_database  # noqa: E402
from exchange.demo import load_demo_data  # noqa: E402
from exchange.extensions import db  # noqa: E402
from exchange.search import indexer  # noqa: E402
from exchange.search.whoosh_backend import WhooshIndex  # noqa: E402


def seeded(cache: Path, docs: int, seed: int) -> Path:
    """A database file holding the corpus, made once per size and seed."""
    target = cache / f"exchange-{docs}-{seed}.sqlite3"
    if target.exists():
        return target
    work = Path(tempfile.mkdtemp(prefix="reindex-seed-"))
    try:
        app = make_app(work)
        with app.app_context():
            flask_migrate.upgrade()
            load_demo_data()
            db.session.remove()
        with app.app_context():
            print(f"Seeded: {seed_database(Corpus(docs, seed))}", file=sys.stderr)
            db.session.remove()
        cache.mkdir(parents=True, exist_ok=True)
        shutil.move(work / "exchange.sqlite3", target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def cpu() -> tuple[float, float, float]:
    """(this process's CPU s, its finished children's CPU s, the machine's busy CPU s)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    busy = (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime, busy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--procs", type=int, help="writing processes (default: one per CPU)")
    cache = Path(tempfile.gettempdir()) / "exchange-reindex-bench"
    parser.add_argument("--cache", type=Path, default=cache)
    parser.add_argument("--profile", type=Path, help="cProfile this process to this file")
    args = parser.parse_args(argv)

    source = seeded(args.cache, args.docs, args.seed)
    work = Path(tempfile.mkdtemp(prefix="reindex-bench-"))
    try:
        shutil.copy(source, work / "exchange.sqlite3")
        app = make_app(work)
        if args.procs is not None:
            WhooshIndex.rebuild_procs = args.procs
        marks: list[float] = []
        profiler = cProfile.Profile() if args.profile else None
        with app.app_context():
            own0, kids0, busy0 = cpu()
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            count = indexer.reindex(progress=lambda _n: marks.append(time.perf_counter()))
            if profiler:
                profiler.disable()
            ended = time.perf_counter()
            own1, kids1, busy1 = cpu()
            folder = indexer.current_index(app).current()
            db.session.remove()
        wall = ended - started
        own, kids = own1 - own0, kids1 - kids0
        result = {
            "documents": count,
            "procs": args.procs,
            "wall_s": round(wall, 1),
            "documents_per_s": round(count / wall, 1),
            "cpu_s": round(own + kids, 1),
            "cpu_main_s": round(own, 1),
            "cpu_workers_s": round(kids, 1),
            "documents_per_cpu_s": round(count / (own + kids), 1),
            "adding_s": round(marks[-1] - started, 1) if marks else None,
            "commit_s": round(ended - marks[-1], 1) if marks else None,
            "other_processes_cpu_s": round(max(0.0, busy1 - busy0 - own - kids), 1),
            "max_rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "max_rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
            "index_mb": round(folder_size(folder) / 1e6, 1),
            "segments": len(list(folder.glob("*.trm"))),
        }
        print(json.dumps(result))
        if profiler:
            profiler.dump_stats(args.profile)
            stats = pstats.Stats(str(args.profile), stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
