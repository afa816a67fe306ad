"""Load test: two Exchange app servers on one PostgreSQL, a mixed workload, the hello floor.

Usage (from the project root)::

    .venv/bin/python bench/load.py [--duration 60] [--clients 8] [--processes 2]
    .venv/bin/python bench/load.py --duration 20 --hello-duration 5 --pages 500   # quick run

What a run does (bench/README.md, "Load: two app servers on one PostgreSQL"):

1. creates a fresh PostgreSQL database ``exchange_load_<random>`` on 127.0.0.1:5432, migrates
   it, loads the demo data, fills the wiki up to ``--pages`` pages with bench/wiki_seed.py and
   builds the search index in PostgreSQL (``SEARCH_BACKEND=postgres``);
2. starts two gunicorn instances of Exchange ("two servers": 2 sync workers each, own instance
   folder, shared database, upload folder and Redis rate-limit storage) and two instances of
   the hello app with the same settings, all on free loopback ports;
3. signs in one account per virtual user, then drives the hello pair ("the floor"), the mixed
   workload on the Exchange pair, and the hello pair again, each for a fixed time, with the
   same load generator (``--processes`` processes of threads, one thread per virtual user,
   each request to the next server in turn, as a round-robin load balancer would send it).
   The mix: wiki page views 50 %, searches 30 % (English and Korean), wiki edits 10 % (open the
   editor, save a new paragraph; a merge or conflict answer, 409, is expected and handled),
   rotation applications 10 % (open the form, save a draft);
4. prints requests, throughput, p50/p95/p99 latency, errors and expected conflicts per kind
   beside the hello floor, then checks the database: every saved edit is there (and in the
   current text), every saved draft holds its last statement, the search outbox drains and
   the index finds the edits, the server logs hold no errors;
5. writes the figures to bench/results/load-<timestamp>.json (git-ignored), stops the servers,
   drops the database (``--keep`` keeps it and the temporary folder) and deletes the run's
   rate-limit keys from Redis, also on errors.

Only loopback addresses are targeted; every phase is bounded by its duration.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import http.client
import json
import math
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS_DIR = ROOT / "bench" / "results"
WIKI_SEED = ROOT / "bench" / "wiki_seed.py"
GUNICORN_HOOKS = ROOT / "bench" / "gunicorn_conf.py"
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379"
WORKERS = 2  # sync workers per gunicorn instance, as `make serve` runs them
INSTANCES = ("a", "b")
SESSION_COOKIE = "exchange_session"
USER_AGENT = "exchange-load-bench"
REQUEST_TIMEOUT = 30.0
READY_TIMEOUT = 90.0
SETUP_TIMEOUT = 600.0
STOP_TIMEOUT = 15.0
DRAIN_TIMEOUT = 30.0

# The accounts the virtual users sign in as, in order: pairs of the same institute first, so
# that two people edit the same institute's pages at the same time (merges and conflicts).
ACCOUNT_ORDER = (
    ("KR-AISI", "member"),
    ("UK-AISI", "member"),
    ("KR-AISI", "reviewer"),
    ("UK-AISI", "reviewer"),
    ("US-CAISI", "reviewer"),
    ("US-CAISI", "coordinator"),
    ("JP-AISI", "reviewer"),
    ("JP-AISI", "coordinator"),
    ("SG-AISI", "member"),
    ("SG-AISI", "reviewer"),
    ("KR-AISI", "coordinator"),
    ("UK-AISI", "coordinator"),
    ("KR-AISI", "admin"),
    ("UK-AISI", "admin"),
    ("SG-AISI", "coordinator"),
    ("EU-AIO", "coordinator"),
)

# What a virtual user does next (weights, in %): an edit is one action of two requests (open
# the editor, save), an application too (open the form, save the draft).
MIX = {"view": 50, "search": 30, "edit": 10, "apply": 10}

# Request kinds as reported, and the statuses that count as success for each.
KINDS = {
    "hello": (200,),
    "view": (200,),
    "search": (200,),
    "edit: open editor": (200,),
    "edit: save": (302,),
    "apply: open form": (200,),
    "apply: save draft": (302,),
}
EXPECTED_CONFLICT = {"edit: save": 409}  # merged or conflicting edit, shown again to the user

SEARCHES = (
    # (query, extra filters); English, Korean (with particles), phrases, filters, prefixes
    ("jailbreak", {}),
    ("jailbreak robustness", {}),
    ("attack success rate", {}),
    ("refusal", {"lang": "en"}),
    ("sandbox", {}),
    ("inspect sandboxes", {}),
    ("cyber CTF", {}),
    ("elicitation", {}),
    ('"pass@k"', {}),
    ("scaffold", {"sort": "date"}),
    ("bootstrap confidence", {}),
    ("standard errors", {}),
    ("human baseline", {}),
    ("LLM judge calibration", {}),
    ("multilingual prompts", {}),
    ("privacy", {"tag": "korean"}),
    ("agentic", {"page": "2"}),
    ("environment bugs", {}),
    ("pre-deployment access", {}),
    ("reference models", {}),
    ("eval*", {}),
    ("title:checklist", {}),
    ("tag:cyber", {}),
    ("epochs", {}),
    ("secondment", {}),
    ("fellowship measurement", {}),
    ("탈옥", {}),
    ("탈옥을", {}),
    ("한국어 탈옥 평가", {}),
    ("안전성을", {}),
    ("개인정보", {}),
    ("거부율이", {}),
    ("프롬프트 설계", {}),
    ("다국어 안전성", {"lang": "ko"}),
    ("평가에서", {}),
    ("자모 분리", {}),
)

EDIT_RETRIES = 3  # a conflicting edit is started again from the newest text this many times
MERGE_RESUBMITS = 5  # a merged edit is saved again (as the page asks the user to) this often

# Which settings a run inherits from the caller's environment: none of the app's own.
APP_ENVIRONMENT = (
    "DATABASE_URL",
    "BASE_URL",
    "PROXY_COUNT",
    "UPLOAD_FOLDER",
    "LOG_REQUESTS",
    "LOG_FORMAT",
    "MAIL_DISPATCH",
    "MAIL_SERVER",
    "SEARCH_INDEX_PATH",
    "SEARCH_LOCK_TIMEOUT",
    "RATELIMIT_ENABLED",
    "RATELIMIT_SIGNIN_PER_ACCOUNT",
    "RATELIMIT_SIGNIN_PER_ADDRESS",
    "RATELIMIT_EMAIL_PER_ADDRESS",
)


# --- arguments ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="measured seconds, mixed load")
    parser.add_argument(
        "--hello-duration", type=int, default=15, help="measured seconds of each hello run"
    )
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured seconds per phase")
    parser.add_argument("--clients", type=int, default=8, help="virtual users (one account each)")
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--pages", type=int, default=2000, help="wiki pages (demo pages included)")
    parser.add_argument(
        "--hot-pages", type=int, default=2, help="pages per institute that its people edit"
    )
    parser.add_argument(
        "--mix",
        default=",".join(f"{kind}={weight}" for kind, weight in MIX.items()),
        help="weights of the actions, e.g. view=100 to measure page views alone",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed of the workload")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the temporary folder"
    )
    parser.add_argument(
        "--database",
        help="use this already prepared database (e.g. one kept with --keep); it is not dropped",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= len(ACCOUNT_ORDER):
        parser.error(f"--clients must be 1..{len(ACCOUNT_ORDER)} (one demo account each)")
    if not 1 <= args.processes <= args.clients:
        parser.error("--processes must be 1..--clients")
    if not 1 <= args.duration <= 900 or not 1 <= args.hello_duration <= 300:
        parser.error("--duration must be 1..900 and --hello-duration 1..300 seconds")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be 0..60 seconds")
    if not 100 <= args.pages <= 100_000:
        parser.error("--pages must be 100..100000")
    if not 1 <= args.hot_pages <= 50:
        parser.error("--hot-pages must be 1..50")
    if args.database and not re.fullmatch(r"[a-z0-9_]{1,63}", args.database):
        parser.error("--database must be a plain database name (a-z, 0-9, _)")
    try:
        pairs = [item.split("=") for item in args.mix.split(",")]
        args.mix = {kind.strip(): int(weight) for kind, weight in pairs}
    except ValueError:
        parser.error("--mix must look like view=50,search=30,edit=10,apply=10")
    if (
        set(args.mix) - set(MIX)
        or any(w < 0 for w in args.mix.values())
        or not any(args.mix.values())
    ):
        parser.error(f"--mix: actions are {', '.join(MIX)}, weights >= 0, not all 0")
    if args.seed is None:
        args.seed = secrets.randbelow(1_000_000)
    return args


# --- the load generator (runs in the generator processes) ----------------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    location: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """One browser: a session cookie, requests spread over the servers in turn (no redirects)."""

    def __init__(self, ports: list[int], turn: int = 0, cookie: str = ""):
        self.ports = ports
        self.turn = turn
        self.cookie = cookie

    def request(self, method: str, path: str, form: dict | None = None) -> Reply:
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        headers = {"User-Agent": USER_AGENT, "Connection": "close"}
        if self.cookie:
            headers["Cookie"] = f"{SESSION_COOKIE}={self.cookie}"
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            self._keep_cookie(response.msg.get_all("Set-Cookie") or [])
            return Reply(response.status, data, response.getheader("Location") or "")
        finally:
            connection.close()

    def _keep_cookie(self, headers: list[str]) -> None:
        for header in headers:
            cookie = SimpleCookie()
            with contextlib.suppress(CookieError):
                cookie.load(header)
            morsel = cookie.get(SESSION_COOKIE)
            if morsel is None:
                continue
            expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
            self.cookie = "" if expired or not morsel.value else morsel.value


def form_value(text: str, name: str) -> str:
    """The value of the named <input> of a page (the first one)."""
    tag = re.search(r"<input[^>]*\bname=\"" + re.escape(name) + r"\"[^>]*>", text)
    value = re.search(r"\bvalue=\"([^\"]*)\"", tag.group(0)) if tag else None
    if value is None:
        raise ValueError(f"no {name} input on the page")
    return html.unescape(value.group(1))


def textarea_value(text: str, name: str) -> str:
    match = re.search(
        r"<textarea[^>]*\bname=\"" + re.escape(name) + r"\"[^>]*>(.*?)</textarea>", text, re.S
    )
    if match is None:
        raise ValueError(f"no {name} textarea on the page")
    value = html.unescape(match.group(1))
    # HTML drops one newline right after <textarea>; WTForms writes one there.
    return value[2:] if value.startswith("\r\n") else value.removeprefix("\n")


def insert_paragraph(source: str, paragraph: str, rng: random.Random) -> str:
    """Put a new paragraph after a random blank line (different places merge cleanly)."""
    lines = source.replace("\r\n", "\n").split("\n")
    in_code = False
    blanks = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        elif not line.strip() and not in_code:
            blanks.append(i)
    at = rng.choice(blanks) if blanks else len(lines)
    return "\n".join([*lines[: at + 1], paragraph, "", *lines[at + 1 :]])


@dataclass
class PendingEdit:
    slug: str
    marker: str
    form: dict
    countdown: int
    attempts: int = 1
    merges: int = 0


class VirtualUser:
    """One signed-in person working through the mix until the phase ends."""

    def __init__(self, job: dict, user: dict, index: int):
        self.job = job
        self.user = user
        self.rng = random.Random(job["seed"] * 1000 + index)
        cookie = user.get("cookie", "") if job["phase"] != "hello" else ""
        self.client = Client(job["ports"], turn=index, cookie=cookie)
        self.samples: list[tuple] = []  # (kind, start offset s, latency s, status, outcome)
        self.errors: list[str] = []
        self.edits: list[dict] = []  # saved edits: slug, marker, attempts, merges, at
        self.edit_outcomes: Counter = Counter()
        self.applications: list[dict] = []  # saved drafts: program, token, at
        self.pending: PendingEdit | None = None
        self.serial = 0

    # Timing and bookkeeping

    def now(self) -> float:
        return time.time() - self.job["start_at"]

    def call(self, kind: str, method: str, path: str, form: dict | None = None) -> Reply | None:
        started = self.now()
        t0 = time.perf_counter()
        try:
            reply = self.client.request(method, path, form)
        except (OSError, http.client.HTTPException) as error:
            latency = time.perf_counter() - t0
            self.samples.append((kind, started, latency, 0, "error"))
            self._note_error(f"{kind} {method} {path}: {type(error).__name__}: {error}")
            return None
        latency = time.perf_counter() - t0
        if reply.status in KINDS[kind]:
            outcome = "ok"
        elif EXPECTED_CONFLICT.get(kind) == reply.status:
            outcome = "conflict"
        else:
            outcome = "error"
            snippet = re.sub(r"\s+", " ", reply.text)[:300]
            self._note_error(f"{kind} {method} {path}: HTTP {reply.status}: {snippet}")
        self.samples.append((kind, started, latency, reply.status, outcome))
        return reply if outcome != "error" else None

    def _note_error(self, text: str) -> None:
        if len(self.errors) < 20:
            self.errors.append(text)

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def tag(self, prefix: str) -> str:
        """A word unique to this run, user and action (searchable: letters and digits)."""
        return f"{prefix}{self.job['run_id']}u{self.user['index']:02d}n{self.next_serial():05d}"

    # The loop

    def run(self) -> None:
        end = self.job["warmup"] + self.job["duration"]
        if self.job["phase"] == "hello":
            while self.now() < end:
                self.call("hello", "GET", "/")
            return
        weights = {kind: self.job["mix"].get(kind, 0) for kind in MIX}
        if not self.user["hot_pages"]:
            weights["view"] += weights.pop("edit")
        if not self.user["programs"]:
            weights["view"] += weights.pop("apply")
        if not any(weights.values()):
            weights["view"] = 1
        kinds, cumulative = list(weights), list(weights.values())
        while self.now() < end:
            if self.pending is not None and self.pending.countdown <= 0:
                self.save_edit(end)
                continue
            action = self.rng.choices(kinds, weights=cumulative)[0]
            if action == "edit" and self.pending is not None:
                action = "view"
            if self.pending is not None:
                self.pending.countdown -= 1
            getattr(self, action)()
        if self.pending is not None:
            self.edit_outcomes["left open when the run ended"] += 1

    # Actions

    def view(self) -> None:
        pool = self.job["view_pool"]
        slug = self.rng.choice(self.user["hot_pages"] or pool) if self.rng.random() < 0.1 else None
        slug = slug or self.rng.choice(pool)
        self.call("view", "GET", "/wiki/" + quote(slug))

    def search(self) -> None:
        query, filters = self.rng.choice(SEARCHES)
        self.call("search", "GET", "/search?" + urlencode({"q": query, **filters}))

    def edit(self) -> None:
        """Open the editor of one of the institute's busy pages; save after a few more actions
        (as people do: read something else, come back), so that edits overlap."""
        slug = self.rng.choice(self.user["hot_pages"])
        self.open_editor(slug, self.tag("lm"), attempts=1)

    def open_editor(self, slug: str, marker: str, attempts: int) -> None:
        reply = self.call("edit: open editor", "GET", f"/wiki/{quote(slug)}/edit")
        if reply is None:
            self.edit_outcomes["editor failed to open"] += 1
            return
        text = reply.text
        try:
            form = {
                "csrf_token": form_value(text, "csrf_token"),
                "base_revision_id": form_value(text, "base_revision_id"),
                "title": form_value(text, "title"),
                "source": textarea_value(text, "source"),
            }
        except ValueError as error:
            self._note_error(f"edit form of {slug}: {error}")
            self.samples[-1] = (*self.samples[-1][:4], "error")
            return
        note = f"Load-test note {marker}: checked under load by {self.user['email']}."
        form["source"] = insert_paragraph(form["source"], note, self.rng)
        form["summary"] = f"Load test {marker}"
        form["save"] = "1"
        self.pending = PendingEdit(slug, marker, form, self.rng.randint(1, 3), attempts)

    def save_edit(self, end: float) -> None:
        pending, self.pending = self.pending, None
        while True:
            reply = self.call(
                "edit: save", "POST", f"/wiki/{quote(pending.slug)}/edit", pending.form
            )
            if reply is None:
                self.edit_outcomes["failed"] += 1
                return
            if reply.status == 302:
                self.edit_outcomes["saved"] += 1
                self.edits.append(
                    {
                        "slug": pending.slug,
                        "marker": pending.marker,
                        "attempts": pending.attempts,
                        "merges": pending.merges,
                        "at": round(self.now(), 3),
                    }
                )
                return
            text = reply.text
            if 'id="their-source"' in text:  # overlapping change: start again from theirs
                self.edit_outcomes["conflict (overlap), started again"] += 1
                if pending.attempts >= EDIT_RETRIES or self.now() >= end:
                    self.edit_outcomes["given up after conflicts"] += 1
                    return
                self.open_editor(pending.slug, pending.marker, pending.attempts + 1)
                if self.pending is not None:
                    self.pending.countdown = 0
                return
            # Merged cleanly with a newer revision: check the text and save again.
            self.edit_outcomes["merged with a newer revision, saved again"] += 1
            pending.merges += 1
            try:
                pending.form["base_revision_id"] = form_value(text, "base_revision_id")
                pending.form["source"] = textarea_value(text, "source")
            except ValueError as error:
                self._note_error(f"merged edit form of {pending.slug}: {error}")
                return
            if pending.marker not in pending.form["source"]:
                self._note_error(f"the merged text of {pending.slug} lost {pending.marker}")
            if pending.merges > MERGE_RESUBMITS or self.now() >= end:
                self.edit_outcomes["given up after merges"] += 1
                return

    def apply(self) -> None:
        program = self.rng.choice(self.user["programs"])
        path = f"/rotations/{quote(program)}/apply"
        reply = self.call("apply: open form", "GET", path)
        if reply is None:
            return
        try:
            csrf = form_value(reply.text, "csrf_token")
        except ValueError as error:
            self._note_error(f"application form of {program}: {error}")
            return
        token = self.tag("la")
        korean = self.user["institute"] == "KR-AISI" and self.rng.random() < 0.5
        statement = (
            f"{token}: 한국어 안전성 평가 경험을 나누고 귀 기관의 평가 방법을 배우고 싶습니다."
            if korean
            else f"{token}: I would like to learn how you run agentic evaluations."
        )
        form = {
            "csrf_token": csrf,
            "statement": statement,
            "skills": "Inspect, red teaming, statistics",
            "languages": "Korean, English" if korean else "English",
            "available_from": "2027-02-01",
            "available_until": "2027-07-31",
            "save": "Save draft",
        }
        if self.call("apply: save draft", "POST", path, form) is not None:
            self.applications.append({"program": program, "token": token, "at": self.now()})


def run_generator(job: dict) -> dict:
    """One generator process: a thread per virtual user, from ``start_at`` until the end."""
    users = [VirtualUser(job, user, user["index"]) for user in job["users"]]
    threads = [threading.Thread(target=user.run, daemon=True) for user in users]
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    time.sleep(max(0.0, job["start_at"] - time.time()))
    for thread in threads:
        thread.start()
    limit = job["warmup"] + job["duration"] + 2 * REQUEST_TIMEOUT + 30
    for thread in threads:
        thread.join(timeout=max(1.0, job["start_at"] + limit - time.time()))
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime)
    return {
        "samples": [s for user in users for s in user.samples],
        "errors": [e for user in users for e in user.errors],
        "edits": [{**e, "email": user.user["email"]} for user in users for e in user.edits],
        "edit_outcomes": sum((user.edit_outcomes for user in users), Counter()),
        "applications": [
            {**a, "email": user.user["email"]} for user in users for a in user.applications
        ],
        "cpu_s": cpu,
        "stuck_threads": sum(thread.is_alive() for thread in threads),
    }


# --- PostgreSQL and Redis (the harness) ---------------------------------------------------


def pg_connect(database: str = "postgres"):
    import psycopg

    return psycopg.connect(
        f"postgresql://postgres@127.0.0.1:5432/{database}", autocommit=True, connect_timeout=10
    )


def database_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def create_database(name: str) -> None:
    from psycopg import sql

    with pg_connect() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    from psycopg import sql

    with pg_connect() as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def reset_sequences(name: str) -> int:
    """Let every id sequence continue after the largest id (wiki_seed.py inserts explicit ids,
    which PostgreSQL's sequences do not see; the first edit would otherwise collide)."""
    from psycopg import sql

    moved = 0
    with pg_connect(name) as connection:
        columns = connection.execute(
            "SELECT table_name, column_name, "
            "pg_get_serial_sequence(quote_ident(table_name), column_name) "
            "FROM information_schema.columns WHERE table_schema = 'public'"
        ).fetchall()
        for table, column, sequence in columns:
            if sequence is None:
                continue
            highest = connection.execute(
                sql.SQL("SELECT COALESCE(MAX({}), 0) FROM {}").format(
                    sql.Identifier(column), sql.Identifier(table)
                )
            ).fetchone()[0]
            connection.execute("SELECT setval(%s::regclass, %s, false)", (sequence, highest + 1))
            moved += 1
    return moved


def plan_workload(name: str, clients: int, hot_pages: int) -> dict:
    """Read the prepared database: the accounts, the pages to view and edit, open programmes."""
    from exchange.demo import demo_email

    active_not_draft = (
        "submitted",
        "home_endorsed",
        "under_review",
        "offered",
        "waitlisted",
        "accepted",
        "placed",
    )
    with pg_connect(name) as connection:
        view_pool = [
            row[0]
            for row in connection.execute(
                "SELECT slug FROM wiki_pages WHERE visibility IN ('public', 'network') "
                "AND (embargo_until IS NULL OR embargo_until < now()) ORDER BY id"
            )
        ]
        users = []
        for index, (code, local) in enumerate(ACCOUNT_ORDER[:clients]):
            email = demo_email(code, local)
            user_id, institute_id = connection.execute(
                "SELECT id, institute_id FROM users WHERE email = %s", (email,)
            ).fetchone()
            pages = [
                row[0]
                for row in connection.execute(
                    "SELECT slug FROM wiki_pages WHERE owner_institute_id = %s "
                    "AND visibility = 'network' AND embargo_until IS NULL "
                    "AND translation_of_id IS NULL ORDER BY id OFFSET 100 LIMIT %s",
                    (institute_id, hot_pages),
                )
            ]
            programs = [
                row[0]
                for row in connection.execute(
                    "SELECT p.slug FROM rotation_programs p WHERE p.status = 'open' "
                    "AND p.host_institute_id <> %(institute)s "
                    "AND (NOT EXISTS (SELECT 1 FROM rotation_program_eligible_institutes e "
                    "                 WHERE e.program_id = p.id) "
                    "     OR EXISTS (SELECT 1 FROM rotation_program_eligible_institutes e "
                    "                WHERE e.program_id = p.id "
                    "                AND e.institute_id = %(institute)s)) "
                    "AND NOT EXISTS (SELECT 1 FROM rotation_applications a "
                    "                WHERE a.program_id = p.id AND a.applicant_id = %(user)s "
                    "                AND a.state = ANY(%(states)s)) ORDER BY p.id",
                    {"institute": institute_id, "user": user_id, "states": list(active_not_draft)},
                )
            ]
            users.append(
                {
                    "index": index,
                    "email": email,
                    "institute": code,
                    "hot_pages": pages,
                    "programs": programs,
                }
            )
    return {"view_pool": view_pool, "users": users}


def pending_outbox(name: str) -> int:
    with pg_connect(name) as connection:
        return connection.execute(
            "SELECT count(*) FROM search_outbox WHERE done_at IS NULL AND available_at <= now()"
        ).fetchone()[0]


def database_stats(name: str) -> dict:
    with pg_connect(name) as connection:
        row = connection.execute(
            "SELECT xact_commit, xact_rollback, deadlocks, conflicts "
            "FROM pg_stat_database WHERE datname = %s",
            (name,),
        ).fetchone()
        connections = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()[0]
    return {
        "commits": row[0],
        "rollbacks": row[1],
        "deadlocks": row[2],
        "conflicts": row[3],
        "connections": connections,
    }


def backend_pids(name: str) -> list[int]:
    with pg_connect(name) as connection:
        return [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        ]


def process_cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds of each live process (from /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            utime, stime = stat.rpartition(")")[2].split()[11:13]
            used[pid] = (int(utime) + int(stime)) / ticks
    return used


def delete_redis_keys(prefix: str) -> int:
    """Remove the rate-limit counters this run left in Redis (only its own prefix)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"LIMITS:LIMITER/{prefix}/*", count=500))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


def check_services() -> None:
    """PostgreSQL and Redis must answer on loopback before anything is created."""
    import redis

    try:
        with pg_connect() as connection:
            connection.execute("SELECT 1")
    except Exception as error:
        raise RuntimeError(f"PostgreSQL on 127.0.0.1:5432 does not answer: {error}") from error
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except Exception as error:
        raise RuntimeError(f"Redis on 127.0.0.1:6379 does not answer: {error}") from error
    finally:
        client.close()


# --- the servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def base_env(database: str, workdir: Path, key_prefix: str) -> dict[str, str]:
    """Production settings for both servers: one database, Redis, one secret, shared uploads."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in APP_ENVIRONMENT and not key.startswith(("SEARCH_", "RATELIMIT_", "MAIL_"))
    }
    env.update(
        FLASK_APP="app.py",
        EXCHANGE_ENV="production",
        DATABASE_URL=database_url(database),
        SECRET_KEY=secrets.token_hex(32),
        SESSION_COOKIE_SECURE="false",  # plain http on loopback
        SEARCH_BACKEND="postgres",
        SEARCH_DISPATCH="thread",
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=key_prefix,
        MAIL_BACKEND="file",
        UPLOAD_FOLDER=str(workdir / "uploads"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def prepare_database(database: str, env: dict[str, str], workdir: Path, pages: int, log) -> None:
    """Migrate, load the demo data, seed the wiki, build the PostgreSQL search index."""
    setup_env = {**env, "EXCHANGE_INSTANCE_PATH": str(workdir / "instance-setup")}
    flask = str(BIN / "flask")
    steps = [
        ("migrate", [flask, "db", "upgrade"]),
        ("demo data", [flask, "exchange", "demo"]),
        (
            f"wiki of {pages:,} pages",
            [sys.executable, str(WIKI_SEED), "--pages", str(pages), "--out", "/dev/null"],
        ),
        ("sequences", None),
        ("search index", [flask, "exchange", "search", "reindex"]),
    ]
    for label, command in steps:
        started = time.monotonic()
        if command is None:
            reset_sequences(database)
        else:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            subprocess.run(
                command,
                cwd=ROOT,
                env=setup_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=SETUP_TIMEOUT,
            )
        print(f"  {label}: {time.monotonic() - started:.1f} s", flush=True)


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    ready_dir: Path
    log_path: Path

    def worker_pids(self) -> list[int]:
        return [int(path.name) for path in self.ready_dir.iterdir()]


def start_server(name: str, app_spec: str, env: dict[str, str], workdir: Path) -> Server:
    """gunicorn with 2 sync workers (as `make serve`), own instance folder and log."""
    port = free_port()
    ready_dir = workdir / f"ready-{name}"
    ready_dir.mkdir()
    instance = workdir / f"instance-{name}"
    instance.mkdir(exist_ok=True)
    log_path = workdir / f"{name}.log"
    command = [
        str(BIN / "gunicorn"),
        "--config",
        str(GUNICORN_HOOKS),
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
        app_spec,
    ]
    with log_path.open("a") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={
                **env,
                "EXCHANGE_INSTANCE_PATH": str(instance),
                "BENCH_READY_DIR": str(ready_dir),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, process, port, ready_dir, log_path)


def wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn {server.name} exited: {server.process.returncode}")
        if len(server.worker_pids()) >= WORKERS:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if Client([server.port]).request("GET", "/").status < 500:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn {server.name} was not ready within {READY_TIMEOUT:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM (graceful), then SIGKILL to the server's own process group."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


def sign_in(ports: list[int], email: str, turn: int) -> str:
    """Sign in through the servers (form on one, POST to the other); return the cookie the
    browser keeps after the first page has shown the welcome message."""
    from exchange.demo import DEMO_PASSWORD

    client = Client(ports, turn=turn)
    page = client.request("GET", "/sign-in")
    form = {
        "email": email,
        "password": DEMO_PASSWORD,
        "csrf_token": form_value(page.text, "csrf_token"),
        "next": "",
    }
    reply = client.request("POST", "/sign-in", form)
    if reply.status != 302:
        raise RuntimeError(f"sign-in as {email} failed: HTTP {reply.status}")
    home = client.request("GET", "/")
    if home.status != 200 or 'action="/sign-out"' not in home.text:
        raise RuntimeError(f"the session of {email} does not sign in (HTTP {home.status})")
    return client.cookie


# --- phases and figures ---------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values) - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(samples: list[tuple], warmup: float, duration: float) -> dict:
    """Per kind and overall: requests that started in the measured window and their figures."""
    window = [s for s in samples if warmup <= s[1] < warmup + duration]
    groups: dict[str, list[tuple]] = defaultdict(list)
    for sample in window:
        groups[sample[0]].append(sample)
    rows = {}
    for kind in [*(k for k in KINDS if k in groups), "all"]:
        chosen = window if kind == "all" else groups[kind]
        latencies = sorted(1000 * s[2] for s in chosen)
        statuses = Counter(s[3] for s in chosen)
        rows[kind] = {
            "requests": len(chosen),
            "per_s": len(chosen) / duration,
            "p50_ms": percentile(latencies, 0.50),
            "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99),
            "max_ms": latencies[-1] if latencies else 0.0,
            "errors": sum(1 for s in chosen if s[4] == "error"),
            "conflicts": sum(1 for s in chosen if s[4] == "conflict"),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
        }
    # Errors outside the window count too (they are reported, not hidden by the warm-up).
    rows["all"]["errors_outside_window"] = sum(
        1 for s in samples if s[4] == "error" and not warmup <= s[1] < warmup + duration
    )
    return rows


def run_phase(
    phase: str, servers: list[Server], users: list[dict], plan: dict, args, run_id: str
) -> dict:
    """Drive the servers with the generator processes; measure the window after the warm-up."""
    duration = args.hello_duration if phase == "hello" else args.duration
    ports = [server.port for server in servers]
    chunks = [users[i :: args.processes] for i in range(args.processes)]
    start_at = time.time() + 3.0  # the processes start (spawn) before this moment
    jobs = [
        {
            "phase": phase,
            "ports": ports,
            "users": chunk,
            "view_pool": plan["view_pool"],
            "start_at": start_at,
            "warmup": args.warmup,
            "duration": duration,
            "seed": args.seed + (0 if phase != "hello" else 7),
            "run_id": run_id,
            "mix": args.mix,
        }
        for chunk in chunks
        if chunk
    ]
    pids = [pid for server in servers for pid in server.worker_pids()]
    with ProcessPoolExecutor(len(jobs), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_generator, job) for job in jobs]
        time.sleep(max(0.0, start_at + args.warmup - time.time()))
        workers_before = process_cpu_seconds(pids)
        db_before = process_cpu_seconds(backend_pids(args.database_name))
        cpu_before = machine_cpu()
        outbox_seen = []  # due, undone search_outbox rows, once a second during the mixed load
        while time.time() < start_at + args.warmup + duration:
            if phase == "mixed":
                outbox_seen.append(pending_outbox(args.database_name))
            time.sleep(max(0.0, min(1.0, start_at + args.warmup + duration - time.time())))
        cpu_after = machine_cpu()
        workers_after = process_cpu_seconds(pids)
        db_after = process_cpu_seconds(backend_pids(args.database_name))
        results = [future.result(timeout=duration + 4 * REQUEST_TIMEOUT + 60) for future in futures]
    samples = [s for result in results for s in result["samples"]]
    rows = summarize(samples, args.warmup, duration)
    total = max(rows["all"]["requests"], 1)
    worker_cpu = sum(workers_after.get(pid, 0.0) - cpu for pid, cpu in workers_before.items())
    db_cpu = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())
    return {
        "phase": phase,
        "duration_s": duration,
        "window": (start_at + args.warmup, start_at + args.warmup + duration),
        "rows": rows,
        "worker_cpu_s": worker_cpu,
        "postgres_cpu_s": db_cpu,
        "worker_cpu_ms_per_request": 1000 * worker_cpu / total,
        "postgres_cpu_ms_per_request": 1000 * db_cpu / total,
        "generator_cpu_s": sum(result["cpu_s"] for result in results),
        "machine": {key: cpu_after[key] - cpu_before[key] for key in cpu_before},
        "errors": [e for result in results for e in result["errors"]],
        "edits": [e for result in results for e in result["edits"]],
        "edit_outcomes": dict(sum((result["edit_outcomes"] for result in results), Counter())),
        "applications": [a for result in results for a in result["applications"]],
        "stuck_threads": sum(result["stuck_threads"] for result in results),
        "outbox_max_pending": max(outbox_seen, default=0),
        "outbox_samples": len(outbox_seen),
    }


def machine_cpu() -> dict[str, float]:
    """Busy, idle and stolen CPU seconds of the whole machine so far (from /proc/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return {
        "busy_s": (user + nice + system + irq + softirq) / ticks,
        "idle_s": (idle + iowait) / ticks,
        "steal_s": steal / ticks,
    }


# --- checks after the load ------------------------------------------------------------------


def wait_for_outbox(database: str) -> tuple[int, float]:
    """Seconds until no due search_outbox row is left undone (bounded by DRAIN_TIMEOUT)."""
    started = time.monotonic()
    while True:
        left = pending_outbox(database)
        waited = time.monotonic() - started
        if left == 0 or waited > DRAIN_TIMEOUT:
            return left, waited
        time.sleep(0.2)


def check_edits(database: str, edits: list[dict], hot_slugs: list[str], baseline: dict) -> dict:
    """Every saved edit is one new revision that holds its note; the current text holds all."""
    by_slug: dict[str, list[dict]] = defaultdict(list)
    for edit in edits:
        by_slug[edit["slug"]].append(edit)
    missing, not_current, revision_mismatch = [], [], []
    with pg_connect(database) as connection:
        for slug in hot_slugs:
            rows = connection.execute(
                "SELECT r.id, r.source, r.id = p.current_revision_id FROM wiki_revisions r "
                "JOIN wiki_pages p ON p.id = r.page_id WHERE p.slug = %s",
                (slug,),
            ).fetchall()
            sources = "\n".join(row[1] for row in rows)
            current = next((row[1] for row in rows if row[2]), "")
            saved = by_slug.get(slug, [])
            if len(rows) - baseline.get(slug, 0) != len(saved):
                revision_mismatch.append(
                    f"{slug}: {len(rows) - baseline.get(slug, 0)} new revisions, "
                    f"{len(saved)} saves answered 302"
                )
            for edit in saved:
                if edit["marker"] not in sources:
                    missing.append(f"{slug}: {edit['marker']}")
                elif edit["marker"] not in current:
                    not_current.append(f"{slug}: {edit['marker']}")
    return {
        "saved": len(edits),
        "missing_from_every_revision": missing,
        "missing_from_current_text": not_current,
        "revision_count_mismatch": revision_mismatch,
    }


def revision_counts(database: str, slugs: list[str]) -> dict[str, int]:
    with pg_connect(database) as connection:
        rows = connection.execute(
            "SELECT p.slug, count(r.id) FROM wiki_pages p "
            "JOIN wiki_revisions r ON r.page_id = p.id WHERE p.slug = ANY(%s) GROUP BY p.slug",
            (slugs,),
        ).fetchall()
    return dict(rows)


def check_applications(database: str, applications: list[dict]) -> dict:
    """The draft of each (person, programme) holds the statement of its last successful save."""
    last: dict[tuple[str, str], dict] = {}
    for application in sorted(applications, key=lambda a: a["at"]):
        last[(application["email"], application["program"])] = application
    wrong = []
    with pg_connect(database) as connection:
        for (email, program), application in sorted(last.items()):
            rows = connection.execute(
                "SELECT a.state, a.statement FROM rotation_applications a "
                "JOIN users u ON u.id = a.applicant_id "
                "JOIN rotation_programs p ON p.id = a.program_id "
                "WHERE u.email = %s AND p.slug = %s AND a.state = 'draft'",
                (email, program),
            ).fetchall()
            if len(rows) != 1 or not rows[0][1].startswith(application["token"] + ":"):
                wrong.append(f"{email} → {program}: {len(rows)} draft(s), last save {application}")
    return {"saved": len(applications), "drafts_checked": len(last), "wrong": wrong}


def check_search(servers: list[Server], cookies: dict[str, str], edits: list[dict]) -> dict:
    """Search (through the servers) for the newest note of each edited page: the page is hit."""
    newest: dict[str, dict] = {}
    for edit in sorted(edits, key=lambda e: e["at"]):
        newest[edit["slug"]] = edit
    ports = [server.port for server in servers]
    misses = []
    for turn, (slug, edit) in enumerate(sorted(newest.items())):
        client = Client(ports, turn=turn, cookie=cookies[edit["email"]])
        reply = client.request("GET", "/search?" + urlencode({"q": edit["marker"]}))
        if reply.status != 200 or f'href="/wiki/{quote(slug)}"' not in reply.text:
            misses.append(f"{slug}: {edit['marker']} (HTTP {reply.status})")
    return {"searched": len(newest), "not_found": misses}


def probe_searches(ports: list[int], cookie: str) -> dict[str, int]:
    """Run every search of the mix once (unmeasured) and read how many results it has."""
    client = Client(ports, cookie=cookie)
    hits = {}
    for query, filters in SEARCHES:
        reply = client.request("GET", "/search?" + urlencode({"q": query, **filters}))
        if reply.status != 200:
            raise RuntimeError(f"search {query!r} answered HTTP {reply.status}")
        count = re.search(r'id="result-count"[^>]*>(.*?)</p>', reply.text, re.S)
        text = re.sub(r"“.*?”", "", count.group(1)) if count else ""
        number = re.search(r"\d+", text)
        hits[query + (f" {urlencode(filters)}" if filters else "")] = (
            int(number.group(0)) if number else 0
        )
    return hits


LOG_PROBLEM = re.compile(
    r"Traceback|\bERROR\b|\bCRITICAL\b|\bWARNING\b|\[(error|critical|warning)\]|Exception"
)


def request_kind(method: str, path: str) -> str | None:
    """The workload kind of a request-log line (None: not part of the mix)."""
    if path == "/search":
        return "search"
    parts = path.strip("/").split("/")
    if parts[0] == "wiki" and len(parts) == 2:
        return "view"
    if parts[0] == "wiki" and len(parts) == 3 and parts[2] == "edit":
        return "edit: open editor" if method == "GET" else "edit: save"
    if parts[0] == "rotations" and len(parts) == 3 and parts[2] == "apply":
        return "apply: open form" if method == "GET" else "apply: save draft"
    return None


def server_times(servers: list[Server], window: tuple[float, float]) -> dict:
    """Time inside the app per kind (the request log's duration_ms), for the requests the
    servers finished in the measured window; the rest of the client's latency is waiting."""
    durations: dict[str, list[float]] = defaultdict(list)
    for server in servers:
        for line in server.log_path.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            with contextlib.suppress(ValueError, KeyError, TypeError):
                entry = json.loads(line)
                finished = dt.datetime.fromisoformat(entry["time"]).timestamp()
                kind = request_kind(entry["method"], entry["path"])
                if kind and window[0] <= finished < window[1] and entry["duration_ms"] is not None:
                    durations[kind].append(float(entry["duration_ms"]))
                    durations["all"].append(float(entry["duration_ms"]))
    return {
        kind: {
            "requests": len(values),
            "p50_ms": percentile(sorted(values), 0.5),
            "p95_ms": percentile(sorted(values), 0.95),
            "mean_ms": sum(values) / len(values),
        }
        for kind, values in durations.items()
    }


LOG_ENTRY_START = re.compile(r"^(\{|\d{4}-\d\d-\d\d[ T]|\[\d{4}-)")


def log_findings(servers: list[Server]) -> dict:
    """Per server: requests in the request log, those answered 5xx, and every error or warning
    entry with the lines that belong to it (its whole traceback, chained exceptions included).
    ``summary`` is one line per entry: the log line and the exception it ended with."""
    findings = {}
    for server in servers:
        lines = server.log_path.read_text(errors="replace").splitlines()
        entries, five_xx, requests = [], [], 0
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if line.startswith("{") and '"status"' in line:
                with contextlib.suppress(ValueError, TypeError):
                    entry = json.loads(line)
                    requests += 1
                    if int(entry.get("status") or 0) >= 500:
                        five_xx.append(line)
                continue
            if not LOG_PROBLEM.search(line):
                continue
            block = [line]
            while i < len(lines) and not LOG_ENTRY_START.match(lines[i]):
                block.append(lines[i])
                i += 1
            entries.append(block)
        summaries = []
        for block in entries:
            last = next(
                (
                    b.strip()
                    for b in reversed(block)
                    if re.match(r"^[\w.]+(Error|Exception|Violation)", b)
                ),
                "",
            )
            summaries.append(block[0] + (f" -> {last[:300]}" if last else ""))
        findings[server.name] = {
            "logged_requests": requests,
            "logged_5xx": len(five_xx),
            "five_xx_lines": five_xx[:20],
            "summary": summaries[:50],
            "problems": ["\n".join(block) for block in entries[:10]],
            "problem_count": len(entries),
        }
    return findings


# --- the report -------------------------------------------------------------------------------


def table(phases: list[dict]) -> str:
    """A Markdown table: the hello floor, the mixed load per kind and overall, hello again.

    Ratios are to the first hello run: requests/s, and worker CPU per request.
    """
    reference = max(phases[0]["rows"]["all"]["per_s"], 1e-9)
    cpu_reference = max(phases[0]["worker_cpu_ms_per_request"], 1e-9)
    lines = [
        "| phase | requests | req/s | p50 ms | p95 ms | p99 ms | errors | 409 (merge/conflict) "
        "| ratio to hello | worker CPU ms/req | CPU ratio to hello |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    hello_runs = 0
    for phase in phases:
        rows = phase["rows"]
        cpu = phase["worker_cpu_ms_per_request"]
        if phase["phase"] == "hello":
            hello_runs += 1
            label = "hello /" if hello_runs == 1 else "hello / (again)"
        else:
            label = "**mixed, all requests**"
            for kind in (k for k in rows if k != "all"):
                lines.append(row_line(f"mixed: {kind}", rows[kind]))
        lines.append(
            row_line(label, rows["all"])
            + f" {rows['all']['per_s'] / reference:.3f} | {cpu:.2f} | {cpu / cpu_reference:.1f} |"
        )
    return "\n".join(lines)


def row_line(label: str, row: dict) -> str:
    """The first eight cells of a row (the ratios follow for whole phases only)."""
    line = (
        f"| {label} | {row['requests']:,} | {row['per_s']:,.1f} | {row['p50_ms']:.1f} "
        f"| {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row['errors']} | {row['conflicts']} |"
    )
    return line if label.startswith(("hello", "**")) else line + " | | |"


def machine_description() -> dict[str, str]:
    import platform

    cpu = "unknown"
    with contextlib.suppress(OSError, AttributeError):
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1)
    memory = "unknown"
    with contextlib.suppress(OSError, AttributeError):
        kib = int(re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kib / 1024**2:.1f} GiB"
    gunicorn = subprocess.run(
        [str(BIN / "gunicorn"), "--version"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    with pg_connect() as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    return {
        "cpus": str(os.cpu_count()),
        "cpu_model": cpu.strip(),
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "gunicorn": gunicorn,
        "postgresql": postgres,
        "load_average_at_start": " ".join(f"{n:.2f}" for n in os.getloadavg()),
    }


def print_report(report: dict) -> None:
    phases = report["phases"]
    mixed = next(p for p in phases if p["phase"] == "mixed")
    print()
    print(f"Command: {report['command']}")
    print(f"Mix: {report['settings']['mix']}; seed {report['settings']['seed']}")
    print()
    print(table(phases))
    print()
    hello_first = phases[0]["rows"]["all"]["per_s"]
    hello_again = phases[-1]["rows"]["all"]["per_s"]
    print(f"Hello, second run / first run: {hello_again / max(hello_first, 1e-9):.2f}")
    print(
        f"Load average (1, 5, 15 min) at the start: {report['machine']['load_average_at_start']}; "
        f"at the end: {report['load_average_at_end']} ({report['machine']['cpus']} CPUs)"
    )
    for phase in phases:
        machine = phase["machine"]
        total = machine["busy_s"] + machine["idle_s"]
        rest = machine["busy_s"] - phase["worker_cpu_s"] - phase["postgres_cpu_s"]
        print(
            f"{phase['phase']:>5}: of {total:.1f} CPU-s in the measured window the machine was "
            f"busy {machine['busy_s']:.1f} s: gunicorn workers {phase['worker_cpu_s']:.1f} s, "
            f"PostgreSQL (this database) {phase['postgres_cpu_s']:.1f} s "
            f"({phase['postgres_cpu_ms_per_request']:.2f} ms/request), the load generator and "
            f"everything else {rest:.1f} s (generator: {phase['generator_cpu_s']:.1f} s over "
            f"the whole phase); steal {machine['steal_s']:.1f} s"
        )
    times = report.get("server_times", {})
    if times:
        print()
        print(
            "| mixed: kind | client p50 ms | in the app p50 ms | in the app p95 ms | app mean ms |"
        )
        print("|---|---:|---:|---:|---:|")
        for kind, row in mixed["rows"].items():
            inside = times.get(kind)
            if inside:
                print(
                    f"| {kind} | {row['p50_ms']:.1f} | {inside['p50_ms']:.1f} "
                    f"| {inside['p95_ms']:.1f} | {inside['mean_ms']:.1f} |"
                )
    print()
    print("Edits:", json.dumps(mixed["edit_outcomes"], ensure_ascii=False))
    checks = report["checks"]
    edits = checks["edits"]
    print(
        f"Edits saved: {edits['saved']}; missing from every revision: "
        f"{len(edits['missing_from_every_revision'])}; missing from the current text: "
        f"{len(edits['missing_from_current_text'])}; revision counts off: "
        f"{len(edits['revision_count_mismatch'])}"
    )
    applications = checks["applications"]
    print(
        f"Drafts saved: {applications['saved']} ({applications['drafts_checked']} drafts "
        f"checked); wrong: {len(applications['wrong'])}"
    )
    outbox = checks["outbox"]
    print(
        f"Search outbox: at most {mixed['outbox_max_pending']} due rows undone during the load "
        f"(sampled every second), {outbox['pending_at_stop']} when it stopped, "
        f"{outbox['left']} after {outbox['waited_s']:.1f} s"
    )
    search = checks["search"]
    print(
        f"Search finds the newest note of {search['searched'] - len(search['not_found'])} "
        f"of {search['searched']} edited pages"
    )
    database = checks["database"]
    print(
        f"PostgreSQL: {database['deadlocks']} deadlocks, {database['commits']:,} commits, "
        f"{database['connections']} connections at the end"
    )
    for name, finding in checks["logs"].items():
        print(
            f"Server {name}: {finding['logged_requests']:,} requests logged, "
            f"{finding['logged_5xx']} with 5xx, {finding['problem_count']} errors/warnings logged"
        )
        for line in finding["summary"][:10]:
            print(f"    {line}")
        for line in finding["five_xx_lines"][:10]:
            print(f"    {line}")
    first = next((f["problems"][0] for f in checks["logs"].values() if f["problems"]), None)
    if first:
        print("The first error in the server logs (the app's frames; in full in the JSON file):")
        for line in app_frames(first):
            print(f"    {line}")
    errors = [e for phase in phases for e in phase["errors"]]
    for error in errors[:10]:
        print(f"error: {error}")
    print(f"Verdict: {'PASS' if report['passed'] else 'FAIL'}")


def app_frames(traceback: str) -> list[str]:
    """The lines of a logged traceback that matter to the app's authors: the log line, the
    frames in exchange/ with their source line, and the exception lines (no SQL text)."""
    lines = traceback.splitlines()
    kept = lines[:1]
    app_file = f'File "{ROOT / "exchange"}'
    for i, line in enumerate(lines[1:], start=1):
        if app_file in line:
            kept += [line.strip(), "  " + lines[i + 1].strip() if i + 1 < len(lines) else ""]
        elif line and not line[0].isspace() and not line.startswith(("[SQL", "[parameters")):
            kept.append(line[:300])
    return [line for line in kept if line.strip()]


def passed(report: dict) -> bool:
    checks = report["checks"]
    phases = report["phases"]
    return (
        all(p["rows"]["all"]["errors"] == 0 for p in phases)
        and all(p["rows"]["all"]["errors_outside_window"] == 0 for p in phases)
        and all(p["stuck_threads"] == 0 for p in phases)
        and not checks["edits"]["missing_from_every_revision"]
        and not checks["edits"]["missing_from_current_text"]
        and not checks["edits"]["revision_count_mismatch"]
        and not checks["applications"]["wrong"]
        and checks["outbox"]["left"] == 0
        and not checks["search"]["not_found"]
        and checks["database"]["deadlocks"] == 0
        and all(not f["problem_count"] and not f["logged_5xx"] for f in checks["logs"].values())
    )


def write_json(report: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"load-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    slim = {
        **report,
        "phases": [
            {k: v for k, v in phase.items() if k not in ("edits", "applications")}
            for phase in report["phases"]
        ],
    }
    path.write_text(json.dumps(slim, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


# --- the run ----------------------------------------------------------------------------------


def run(args, workdir: Path) -> dict:
    run_id = secrets.token_hex(3)
    key_prefix = f"exchange-load-{run_id}"
    created = args.database is None
    database = args.database or f"exchange_load_{run_id}"
    args.database_name = database
    env = base_env(database, workdir, key_prefix)
    (workdir / "uploads").mkdir()
    servers: list[Server] = []
    report: dict = {
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/load.py", *sys.argv[1:]]),
        "settings": {
            **{k: v for k, v in vars(args).items() if k != "database_name"},
            "workers_per_instance": WORKERS,
            "worker_class": "sync",
        },
        "machine": machine_description(),
        "database": database,
    }
    try:
        if created:
            print(f"Creating database {database} and preparing it ...", flush=True)
            create_database(database)
            with (workdir / "setup.log").open("a") as log:
                prepare_database(database, env, workdir, args.pages, log)
        plan = plan_workload(database, args.clients, args.hot_pages)
        report["plan"] = {
            "view_pool": len(plan["view_pool"]),
            "users": [{k: v for k, v in u.items() if k != "cookie"} for u in plan["users"]],
        }
        print("Starting two Exchange and two hello servers (2 sync workers each) ...", flush=True)
        for instance in INSTANCES:
            servers.append(start_server(f"exchange-{instance}", "app:app", env, workdir))
            servers.append(start_server(f"hello-{instance}", "bench.hello_app:app", env, workdir))
        for server in servers:
            wait_until_ready(server)
        exchange = [s for s in servers if s.name.startswith("exchange")]
        hello = [s for s in servers if s.name.startswith("hello")]
        ports = [s.port for s in exchange]
        print(f"Signing in {args.clients} accounts ...", flush=True)
        cookies = {}
        for user in plan["users"]:
            user["cookie"] = cookies[user["email"]] = sign_in(ports, user["email"], user["index"])
        report["search_hits"] = probe_searches(ports, plan["users"][0]["cookie"])
        empty = [query for query, hits in report["search_hits"].items() if hits == 0]
        print(
            f"  {len(SEARCHES)} searches probed as {plan['users'][0]['email']}: "
            f"{len(empty)} without results{': ' + ', '.join(empty) if empty else ''}",
            flush=True,
        )
        hot = sorted({slug for user in plan["users"] for slug in user["hot_pages"]})
        baseline = revision_counts(database, hot)
        phases = []
        for phase, targets in (("hello", hello), ("mixed", exchange), ("hello", hello)):
            duration = args.hello_duration if phase == "hello" else args.duration
            print(
                f"  {phase}: {args.warmup} s warm-up + {duration} s measured, "
                f"{args.clients} clients ...",
                flush=True,
            )
            phases.append(run_phase(phase, targets, plan["users"], plan, args, run_id))
            if phase == "mixed":
                pending_at_stop = pending_outbox(database)
                left, waited = wait_for_outbox(database)
        mixed = phases[1]
        report["phases"] = phases
        report["checks"] = {
            "outbox": {"pending_at_stop": pending_at_stop, "left": left, "waited_s": waited},
            "edits": check_edits(database, mixed["edits"], hot, baseline),
            "applications": check_applications(database, mixed["applications"]),
            "search": check_search(exchange, cookies, mixed["edits"]),
            "database": database_stats(database),
        }
    finally:
        for server in servers:
            stop_server(server.process)
        if servers:
            report.setdefault("checks", {})["logs"] = log_findings(servers)
            if "phases" in report:
                exchange_servers = [s for s in servers if s.name.startswith("exchange")]
                report["server_times"] = server_times(
                    exchange_servers, report["phases"][1]["window"]
                )
        with contextlib.suppress(Exception):
            report["redis_keys_deleted"] = delete_redis_keys(key_prefix)
        if created and not args.keep:
            drop_database(database)
            report["database_dropped"] = True
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_services()
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="exchange-load-"))
    try:
        report = run(args, workdir)
    except (RuntimeError, subprocess.SubprocessError, OSError) as error:
        print(f"The load test failed: {error}", file=sys.stderr)
        for log in sorted(workdir.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- {log.name} ---\n" + "\n".join(tail), file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"Kept the temporary folder {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report["load_average_at_end"] = " ".join(f"{n:.2f}" for n in os.getloadavg())
    report["passed"] = passed(report)
    print_report(report)
    if args.keep and args.database is None:
        print(
            f"Kept the database {report['database']} (drop it with dropdb -h 127.0.0.1 -U "
            f"postgres {report['database']})"
        )
    print(f"Figures written to {write_json(report).relative_to(ROOT)}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
