"""Instructions per wiki page view under callgrind, and the pages' HTML for before/after checks.

Usage (from the project root; see bench/README.md, "Counting instructions")::

    .venv/bin/python bench/wiki_instructions.py prepare --instance /tmp/wiki-bench [--pages 10000]
    .venv/bin/python bench/wiki_instructions.py count --instance /tmp/wiki-bench
    .venv/bin/python bench/wiki_instructions.py dump --instance /tmp/wiki-bench --out /tmp/html-a
    .venv/bin/python bench/wiki_instructions.py compare /tmp/html-a /tmp/html-b

``prepare`` makes a database like the HTTP benchmark's (migrations, demo data, a wiki of
``--pages`` pages from bench/wiki_seed.py) in the instance folder, once. ``count`` runs the
request loop under ``valgrind --tool=callgrind --instr-atstart=no`` twice per reader (10 and 40
measured requests, after 5 unmeasured ones; instrumentation is switched on with
``callgrind_control`` once those are done) and prints the difference divided by 30: the
instructions of one page view through ``app.wsgi_app``, the same whatever else the machine
runs. ``dump`` writes the HTML of some 30 addresses as six readers; ``compare`` lists the
files that differ between two dumps, CSRF tokens aside.

Production settings (``EXCHANGE_ENV=production``, request log on) as in bench/http_bench.py;
nothing but the given instance folder is touched.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_bench import BIN, USER_AGENT, prepare_database, server_env  # noqa: E402

SECRET = "wiki-instructions-" + "0" * 40  # fixed, so that dumps of two runs compare
SHORT, LONG, WARMUP = 10, 40, 5
READERS = {  # name: (account as (institute, local part) or None, Accept-Language)
    "out-en": (None, ""),
    "out-ko": (None, "ko"),
    "kr-member": (("KR-AISI", "member"), ""),
    "kr-admin": (("KR-AISI", "admin"), ""),
    "uk-coordinator": (("UK-AISI", "coordinator"), ""),
    "us-reviewer": (("US-CAISI", "reviewer"), ""),
}
COUNTED = {"signed-out": ("out-en", "public_page"), "signed-in": ("kr-member", "network_page")}
CSRF_RE = re.compile(r'(name="csrf_token"[^>]*? value=")[^"]*(")')


def environment(instance: Path) -> dict[str, str]:
    """The HTTP benchmark's production settings, with a fixed key (dumps compare)."""
    return {**server_env(str(instance)), "SECRET_KEY": SECRET}


def slugs(instance: Path) -> dict[str, str]:
    return json.loads((instance / "wiki-slugs.json").read_text())


# --- in the measured process ------------------------------------------------------------------


def make_app():
    from exchange import create_app

    return create_app()


def session_cookie(app, account) -> str:
    """A session cookie of the demo account as a browser keeps it after signing in."""
    if account is None:
        return ""
    from flask_login import login_user
    from sqlalchemy import select

    from exchange.accounts.models import User
    from exchange.demo import demo_email
    from exchange.extensions import db

    headers = {"User-Agent": USER_AGENT}
    with app.test_request_context("/", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        from flask import session

        user = db.session.scalar(select(User).where(User.email == demo_email(*account)))
        login_user(user)
        value = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = f"{name}={value}"
    # The home page adds the CSRF token to the session; the cookie it sets is the one kept.
    _status, headers, _body = request(app, environ_for("/", cookie, ""))
    found = re.search(rf"{name}=([^;]*)", headers.get("Set-Cookie", ""))
    return f"{name}={found.group(1)}" if found else cookie


def environ_for(path: str, cookie: str, language: str) -> dict:
    from werkzeug.test import EnvironBuilder

    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    if language:
        headers["Accept-Language"] = language
    builder = EnvironBuilder(path=path, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return builder.get_environ()
    finally:
        builder.close()


def request(app, environ: dict) -> tuple[str, dict, bytes]:
    environ = {**environ, "wsgi.input": io.BytesIO(b"")}
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    body = app.wsgi_app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return answer["status"], dict(answer["headers"]), data


def run_loop(args) -> int:
    """The process valgrind runs: warm up, switch instrumentation on, make the requests."""
    app = make_app()
    reader, page = COUNTED[args.reader]
    account, language = READERS[reader]
    cookie = session_cookie(app, account)
    environ = environ_for(f"/wiki/{slugs(args.instance)[page]}", cookie, language)
    for _ in range(WARMUP):
        status, _headers, _body = request(app, environ)
        if not status.startswith("200"):
            raise SystemExit(f"{args.reader}: HTTP {status}")
    if args.instrument:
        subprocess.run(
            ["callgrind_control", "-i", "on", str(os.getpid())],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    for _ in range(args.requests):
        request(app, environ)
    return 0


# --- commands ---------------------------------------------------------------------------------


def prepare(args) -> int:
    args.instance.mkdir(parents=True, exist_ok=True)
    with (args.instance / "prepare.log").open("w") as log:
        prepare_database(environment(args.instance), log, args.pages)
    print(f"prepared {args.instance}: {slugs(args.instance)}")
    return 0


def instructions(instance: Path, reader: str, requests: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            str(BIN / "python"),
            __file__,
            "loop",
            "--instance",
            str(instance),
            "--reader",
            reader,
            "--requests",
            str(requests),
            "--instrument",
        ]
        subprocess.run(
            command,
            cwd=ROOT,
            env=environment(instance),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for line in out.read_text(errors="replace").splitlines():
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise RuntimeError("no totals in callgrind's output")


def count(args) -> int:
    for reader in args.readers:
        short = instructions(args.instance, reader, SHORT)
        long = instructions(args.instance, reader, LONG)
        per_request = (long - short) / (LONG - SHORT)
        print(f"{reader}: {per_request / 1e6:.2f} M instructions per page view", flush=True)
    return 0


def addresses(app) -> list[str]:
    """Pages of every kind a reader meets: measured pages, sign-offs, translations, restricted
    and embargoed pages, history, backlinks, settings, editor, 404s, lists, home, notices."""
    from sqlalchemy import select

    from exchange.db import utcnow
    from exchange.extensions import db
    from exchange.wiki.models import Page, SignOff

    measured = slugs(app_instance(app))
    with app.app_context():
        first = db.session.scalars

        def one(*where):
            return first(select(Page.slug).where(*where).order_by(Page.id).limit(1)).first()

        picks = [
            measured["public_page"],
            measured["network_page"],
            "elicitation-checklist",
            one(Page.id.in_(select(SignOff.page_id).where(SignOff.level == "endorsed"))),
            one(Page.translation_of_id.is_not(None)),
            one(Page.visibility == "institutes", Page.id > 1000),
            one(Page.embargo_until > utcnow()),
            one(Page.visibility == "network", Page.review_status == "draft", Page.id > 2000),
        ]
    paths = []
    for slug in dict.fromkeys(s for s in picks if s):
        paths.append(f"/wiki/{slug}")
    for suffix in ("/history", "/backlinks", "/settings", "/edit"):
        paths.append(f"/wiki/{measured['network_page']}{suffix}")
    paths.append(f"/wiki/{measured['public_page']}/history")
    paths += [
        "/wiki/no-such-page",
        "/no-such-address",
        "/wiki/",
        "/wiki/?kind=methodology&sort=title",
        "/wiki/?tag=cyber&page=2",
        "/wiki/?language=ko&status=reviewed",
        "/wiki/recent",
        "/wiki/wanted",
        "/",
        "/notifications/",
        "/search?q=checklist",
        "/rotations/",
        "/evaluations/",
        "/account",
        "/sign-in",
    ]
    return paths


def app_instance(app) -> Path:
    return Path(app.instance_path)


def dump(args) -> int:
    os.environ.update(environment(args.instance))
    app = make_app()
    args.out.mkdir(parents=True, exist_ok=True)
    paths = addresses(app)
    for reader, (account, language) in READERS.items():
        cookie = session_cookie(app, account)
        for n, path in enumerate(paths):
            status, headers, body = request(app, environ_for(path, cookie, language))
            text = CSRF_RE.sub(r"\1TOKEN\2", body.decode("utf-8", errors="replace"))
            name = f"{reader}-{n:02d}.html"
            cookie_set = "yes" if "Set-Cookie" in headers else "no"
            header = f"<!-- {path} {status} Set-Cookie: {cookie_set} -->\n"
            (args.out / name).write_text(header + text)
    print(f"{len(READERS) * len(paths)} pages written to {args.out}")
    return 0


def compare(args) -> int:
    differing = 0
    for left in sorted(args.a.glob("*.html")):
        right = args.b / left.name
        a = left.read_text()
        b = right.read_text() if right.exists() else ""
        if a != b:
            differing += 1
            print(f"--- {left.name}: {a.splitlines()[0]}")
            diff = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            for line in list(diff)[2 : 2 + args.lines]:
                print(f"    {line[:200]}")
    print(f"{differing} of {len(list(args.a.glob('*.html')))} pages differ")
    return 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare", help="make the database (once)")
    p.add_argument("--instance", type=Path, required=True)
    p.add_argument("--pages", type=int, default=10_000)
    p = commands.add_parser("count", help="instructions per page view under callgrind")
    p.add_argument("--instance", type=Path, required=True)
    p.add_argument("--readers", nargs="+", choices=list(COUNTED), default=list(COUNTED))
    p = commands.add_parser("loop", help="(internal) the request loop valgrind runs")
    p.add_argument("--instance", type=Path, required=True)
    p.add_argument("--reader", choices=list(COUNTED), required=True)
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--instrument", action="store_true")
    p = commands.add_parser("dump", help="write the HTML of many pages as six readers")
    p.add_argument("--instance", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = commands.add_parser("compare", help="list the pages that differ between two dumps")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--lines", type=int, default=12, help="diff lines shown per page")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return {"prepare": prepare, "count": count, "loop": run_loop, "dump": dump}.get(
        args.command, compare
    )(args)


if __name__ == "__main__":
    sys.exit(main())
