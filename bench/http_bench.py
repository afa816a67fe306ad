"""HTTP benchmark: Exchange beside a minimal Flask "hello" app, both under gunicorn, one run.

Usage (from the project root)::

    .venv/bin/python bench/http_bench.py [--duration 10] [--connections 8] [--threads 2]
    .venv/bin/python bench/http_bench.py --only wiki [--pages 10000]

The harness migrates a throw-away SQLite database in a temporary instance folder and loads the
demo accounts into it (and, for the wiki scenarios, a wiki of --pages pages made by
bench/wiki_seed.py), starts gunicorn (2 sync workers, access log off) for Exchange and for
bench/hello_app.py on free loopback ports with the same settings, signs in once as a demo
member, then drives each scenario with wrk, one after another, for --duration seconds. It prints
requests/s, latency and errors per scenario with the ratio to the hello app measured in the same
run, and the CPU time the gunicorn workers spent per request (read from /proc, so less disturbed
by other work on the machine than requests/s), and writes the figures to
bench/results/http-<timestamp>.json. The hello app is measured again at the end, and the CPU
taken by other processes during the run is reported, so the noise of the run shows. Servers and
the temporary folder are always cleaned up; only 127.0.0.1 is ever targeted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

from exchange.demo import ACCOUNTS, DEMO_PASSWORD, demo_email

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS_DIR = ROOT / "bench" / "results"
HOST = "127.0.0.1"
WORKERS = 2
SESSION_COOKIE = "exchange_session"
USER_AGENT = "exchange-http-bench"
MEMBER = ("KR-AISI", "member")
READY_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
SETUP_TIMEOUT = 300.0
STOP_TIMEOUT = 15.0
GUNICORN_HOOKS = ROOT / "bench" / "gunicorn_conf.py"
APP_SPECS = {"exchange": "app:app", "hello": "bench.hello_app:app"}
WIKI_SEED = ROOT / "bench" / "wiki_seed.py"
GROUPS = ("core", "wiki")  # what --only selects; the hello runs frame every selection


@dataclass(frozen=True)
class Scenario:
    """One measured page: which server, which path, signed in or not, expected status.

    ``path`` may name a seeded wiki page as ``{public_page}`` or ``{network_page}``; the run
    fills in the addresses bench/wiki_seed.py chose.
    """

    name: str
    server: str
    path: str
    signed_in: bool
    expected_status: int
    note: str = ""
    group: str = "core"


SCENARIOS = [
    Scenario("hello /", "hello", "/", False, 200, group="hello"),
    Scenario("exchange / signed out", "exchange", "/", False, 200),
    Scenario("exchange /sign-in signed out", "exchange", "/sign-in", False, 200),
    Scenario("exchange / signed in", "exchange", "/", True, 200),
    Scenario(
        "exchange /sign-in signed in",
        "exchange",
        "/sign-in",
        True,
        302,
        "redirects signed-in users to /",
    ),
    Scenario(
        "wiki page signed out (public)", "exchange", "/wiki/{public_page}", False, 200, group="wiki"
    ),
    Scenario(
        "wiki page signed in (network)", "exchange", "/wiki/{network_page}", True, 200, group="wiki"
    ),
    Scenario("wiki list /wiki/ signed in", "exchange", "/wiki/", True, 200, group="wiki"),
    Scenario("hello / (again)", "hello", "/", False, 200, group="hello"),
]


def selected_scenarios(only: str | None, wiki_slugs: dict[str, str]) -> list[Scenario]:
    """The scenarios of the chosen group (all by default) between the two hello runs."""
    slugs = {key: quote(slug) for key, slug in wiki_slugs.items()}
    return [
        replace(scenario, path=scenario.path.format(**slugs) if slugs else scenario.path)
        for scenario in SCENARIOS
        if scenario.group == "hello" or only in (None, scenario.group)
    ]


@dataclass
class Result:
    """What wrk measured for one scenario."""

    scenario: Scenario
    requests_per_s: float
    requests: int
    latency_avg_ms: float
    latency_p50_ms: float
    latency_p99_ms: float
    non_2xx_3xx: int
    socket_errors: dict[str, int] = field(default_factory=dict)
    response_bytes: int = 0
    sets_session_cookie: bool = False
    worker_cpu_ms_per_request: float = 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


# --- arguments and prerequisites ------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8, help="open connections (wrk -c)")
    parser.add_argument("--threads", type=int, default=2, help="load threads (wrk -t)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured seconds per scenario")
    parser.add_argument(
        "--only", choices=GROUPS, help="run only this group of scenarios (and hello); default: all"
    )
    parser.add_argument(
        "--pages", type=int, default=10_000, help="pages in the wiki for the wiki scenarios"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.pages <= 200_000:
        parser.error("--pages must be 1..200000")
    if not 1 <= args.duration <= 300 or not 0 <= args.warmup <= 30:
        parser.error("--duration must be 1..300 and --warmup 0..30 seconds")
    if args.threads < 1 or args.connections < args.threads:
        parser.error("need --threads >= 1 and --connections >= --threads")
    return args


def find_wrk() -> str:
    """Return wrk's path or explain how to install it and exit with status 2."""
    path = shutil.which("wrk")
    if path is None:
        print(
            "wrk, the load generator, is not installed. On Debian/Ubuntu: sudo apt-get install wrk",
            file=sys.stderr,
        )
        sys.exit(2)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def loopback_url(port: int, path: str) -> str:
    url = f"http://{HOST}:{port}{path}"
    if not url.startswith(("http://127.0.0.1:", "http://[::1]:")):
        raise ValueError(f"refusing to target a non-loopback address: {url}")
    return url


# --- the servers ------------------------------------------------------------------------------


def server_env(instance_path: str) -> dict[str, str]:
    """Production settings on plain-http loopback, with a throw-away database and key."""
    env = dict(os.environ)
    for key in ("DATABASE_URL", "PROXY_COUNT", "RATELIMIT_ENABLED", "MAIL_DISPATCH"):
        env.pop(key, None)
    env.update(
        FLASK_APP="app.py",
        EXCHANGE_ENV="production",
        EXCHANGE_INSTANCE_PATH=instance_path,
        SECRET_KEY=secrets.token_hex(32),
        SESSION_COOKIE_SECURE="false",
        RATELIMIT_STORAGE_URI="memory://",
        MAIL_BACKEND="file",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def prepare_database(env: dict[str, str], log, wiki_pages: int | None) -> dict[str, str]:
    """Migrate the temporary database and load the demo accounts into it; with ``wiki_pages``,
    fill the wiki up to that many pages and return the addresses of the measured pages."""
    slugs_path = Path(env["EXCHANGE_INSTANCE_PATH"]) / "wiki-slugs.json"
    commands = [[str(BIN / "flask"), "db", "upgrade"], [str(BIN / "flask"), "exchange", "demo"]]
    if wiki_pages is not None:
        seed = [sys.executable, str(WIKI_SEED), "--pages", str(wiki_pages)]
        commands.append([*seed, "--out", str(slugs_path)])
    for command in commands:
        subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=SETUP_TIMEOUT,
        )
    return json.loads(slugs_path.read_text()) if wiki_pages is not None else {}


@dataclass
class Server:
    """A gunicorn arbiter, its port, and the folder where its workers report ready."""

    name: str
    process: subprocess.Popen
    port: int
    ready_dir: Path

    def worker_pids(self) -> list[int]:
        return [int(path.name) for path in self.ready_dir.iterdir()]

    def worker_cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the live workers (from /proc/<pid>/stat)."""
        total = 0.0
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                utime, stime = stat.rpartition(")")[2].split()[11:13]
                total += (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")
        return total


def start_server(name: str, env: dict[str, str], log, workdir: Path) -> Server:
    """Start gunicorn with the settings shared by both apps on a free loopback port."""
    port = free_port()
    ready_dir = workdir / f"ready-{name}"
    ready_dir.mkdir()
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
        APP_SPECS[name],
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**env, "BENCH_READY_DIR": str(ready_dir)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Server(name, process, port, ready_dir)


def wait_until_ready(server: Server) -> None:
    """Wait until every worker has loaded the app and the home page answers (bounded)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn for {server.name} exited: {server.process.returncode}")
        if len(server.worker_pids()) >= WORKERS:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if http_get(server.port, "/", timeout=2).status < 500:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn for {server.name} was not ready within {READY_TIMEOUT:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    """Stop gunicorn: SIGTERM (graceful), then SIGKILL to its process group."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


# --- signing in -------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str


def http_get(port: int, path: str, cookie: str = "", timeout: float = REQUEST_TIMEOUT) -> Reply:
    return http_request(port, "GET", path, cookie=cookie, timeout=timeout)


def http_request(
    port: int,
    method: str,
    path: str,
    cookie: str = "",
    form: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> Reply:
    """One request to the loopback server, without following redirects."""
    loopback_url(port, path)  # refuses anything but loopback
    headers = {"User-Agent": USER_AGENT}
    body = None
    if cookie:
        headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.msg, response.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def session_cookie(reply: Reply) -> str | None:
    """Return the session cookie the reply sets, if any."""
    for header in reply.headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        if SESSION_COOKIE in cookie:
            return cookie[SESSION_COOKIE].value
    return None


def csrf_token(html: str) -> str:
    tag = re.search(r"<input[^>]*name=\"csrf_token\"[^>]*>", html)
    value = re.search(r"value=\"([^\"]+)\"", tag.group(0)) if tag else None
    if value is None:
        raise RuntimeError("no csrf_token input on the sign-in page")
    return value.group(1)


def member_display_name() -> str:
    code, local = MEMBER
    return next(name for c, loc, name, *_rest in ACCOUNTS if (c, loc) == (code, local))


def sign_in(port: int) -> str:
    """Sign in as the demo member; return a session cookie that needs no further rewriting.

    The cookie from the sign-in redirect still carries the "Welcome back" flash, which the next
    page shows and removes; the cookie set by that page is the one a browser keeps afterwards.
    """
    page = http_get(port, "/sign-in")
    cookie = session_cookie(page)
    form = {
        "email": demo_email(*MEMBER),
        "password": DEMO_PASSWORD,
        "csrf_token": csrf_token(page.body),
        "next": "",
    }
    reply = http_request(port, "POST", "/sign-in", cookie=cookie or "", form=form)
    if reply.status != 302 or not session_cookie(reply):
        raise RuntimeError(f"sign-in failed: HTTP {reply.status}")
    first_page = http_get(port, "/", cookie=session_cookie(reply))
    return session_cookie(first_page) or session_cookie(reply)


def verify_signed_in(port: int, cookie: str) -> bool:
    """Check that the cookie shows the member's home page; return whether it is rewritten."""
    reply = http_get(port, "/", cookie=cookie)
    if reply.status != 200 or member_display_name() not in reply.body:
        raise RuntimeError(f"the session cookie does not sign in (HTTP {reply.status})")
    return session_cookie(reply) is not None


def probe(port: int, scenario: Scenario, cookie: str) -> Reply:
    """Request the scenario's page once and insist on the expected status."""
    reply = http_get(port, scenario.path, cookie=cookie if scenario.signed_in else "")
    if reply.status != scenario.expected_status:
        raise RuntimeError(
            f"{scenario.name}: expected HTTP {scenario.expected_status}, got {reply.status}"
        )
    return reply


# --- wrk --------------------------------------------------------------------------------------

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def to_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNIT_MS[unit]


def run_wrk(wrk: str, url: str, duration: int, args, cookie: str) -> str:
    """Drive one URL for ``duration`` seconds; wrk stops by itself, the timeout is a backstop."""
    command = [
        wrk,
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={duration}s",
        "--latency",
        "--header",
        f"User-Agent: {USER_AGENT}",
    ]
    if cookie:
        command += ["--header", f"Cookie: {SESSION_COOKIE}={cookie}"]
    completed = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 60
    )
    return completed.stdout


def parse_wrk(scenario: Scenario, output: str) -> Result:
    """Read requests/s, latency, non-2xx/3xx responses and socket errors from wrk's report."""

    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output)
        if match is None:
            if default is None:
                raise RuntimeError(f"cannot read {pattern!r} from wrk's output:\n{output}")
            return default
        return match.group(1)

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    kinds = ("connect", "read", "write", "timeout")
    return Result(
        scenario=scenario,
        requests_per_s=float(find(r"Requests/sec:\s+([\d.]+)")),
        requests=int(find(r"(\d+) requests in")),
        latency_avg_ms=to_ms(find(r"Latency\s+([\d.]+\w+)")),
        latency_p50_ms=to_ms(find(r"50%\s+([\d.]+\w+)")),
        latency_p99_ms=to_ms(find(r"99%\s+([\d.]+\w+)")),
        non_2xx_3xx=int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        socket_errors=dict(zip(kinds, map(int, socket_errors.groups()), strict=True))
        if socket_errors
        else {},
    )


def measure(wrk: str, server: Server, scenario: Scenario, args, cookie: str) -> Result:
    """Probe the page, warm up, then measure it with wrk and the workers' CPU time."""
    cookie = cookie if scenario.signed_in else ""
    url = loopback_url(server.port, scenario.path)
    reply = probe(server.port, scenario, cookie)
    if args.warmup:
        run_wrk(wrk, url, args.warmup, args, cookie)
    print(f"  measuring {scenario.name} for {args.duration} s ...", flush=True)
    cpu_before = server.worker_cpu_seconds()
    result = parse_wrk(scenario, run_wrk(wrk, url, args.duration, args, cookie))
    cpu_used = server.worker_cpu_seconds() - cpu_before
    result.worker_cpu_ms_per_request = 1000 * cpu_used / max(result.requests, 1)
    result.response_bytes = len(reply.body.encode())
    result.sets_session_cookie = session_cookie(reply) is not None
    return result


# --- the report -------------------------------------------------------------------------------


def references(results: list[Result]) -> tuple[float, float]:
    """Requests/s and worker CPU ms per request of the first hello run (never zero)."""
    first = results[0]
    return max(first.requests_per_s, 1e-9), max(first.worker_cpu_ms_per_request, 1e-9)


def table(results: list[Result]) -> str:
    """A Markdown table; both ratios are to the first hello run of the same run."""
    reference, cpu_reference = references(results)
    lines = [
        "| scenario | status | body bytes | Set-Cookie | requests/s | p50 ms | p99 ms | errors "
        "| ratio to hello | worker CPU ms/req | CPU ratio to hello |",
        "|---|---:|---:|:-:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        scenario = result.scenario
        status = str(scenario.expected_status) + (" ¹" if scenario.note else "")
        lines.append(
            f"| {scenario.name} | {status} | {result.response_bytes:,} "
            f"| {'yes' if result.sets_session_cookie else 'no'} | {result.requests_per_s:,.0f} "
            f"| {result.latency_p50_ms:.1f} | {result.latency_p99_ms:.1f} "
            f"| {result.errors} | {result.requests_per_s / reference:.2f} "
            f"| {result.worker_cpu_ms_per_request:.2f} "
            f"| {result.worker_cpu_ms_per_request / cpu_reference:.1f} |"
        )
    notes = [f"¹ {r.scenario.name}: {r.scenario.note}" for r in results if r.scenario.note]
    return "\n".join(lines + (["", *notes] if notes else []))


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = match.group(1).strip() if match else cpu
    memory = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
        memory = f"{int(match.group(1)) / 1024**2:.1f} GiB" if match else memory
    return {
        "cpus": str(os.cpu_count()),
        "cpu_model": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def tool_versions(wrk: str) -> dict[str, str]:
    wrk_banner = subprocess.run(
        [wrk, "--version"], capture_output=True, text=True, timeout=10, check=False
    ).stdout
    gunicorn = subprocess.run(
        [str(BIN / "gunicorn"), "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    return {"wrk": wrk_banner.splitlines()[0] if wrk_banner else "?", "gunicorn": gunicorn.strip()}


def log_problems(log_path: Path) -> list[str]:
    """Lines of the server logs that report errors or warnings."""
    if not log_path.exists():
        return []
    pattern = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|\bWARNING\b|\[(error|critical)\]")
    lines = log_path.read_text(errors="replace").splitlines()
    return [line for line in lines if pattern.search(line)]


def write_json(results: list[Result], extra: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"http-{stamp}.json"
    reference, cpu_reference = references(results)
    rows = [
        {
            **asdict(r),
            "errors": r.errors,
            "ratio_to_hello": r.requests_per_s / reference,
            "cpu_ratio_to_hello": r.worker_cpu_ms_per_request / cpu_reference,
        }
        for r in results
    ]
    path.write_text(json.dumps({**extra, "results": rows}, indent=2, ensure_ascii=False) + "\n")
    return path


# --- the run ----------------------------------------------------------------------------------


def print_log_tail(log_path: Path, lines: int = 40) -> None:
    """Show the end of the set-up and server output before the temporary folder goes."""
    with contextlib.suppress(OSError):
        tail = log_path.read_text(errors="replace").splitlines()[-lines:]
        print("--- last lines of the set-up and server output ---", file=sys.stderr)
        print("\n".join(tail), file=sys.stderr)


def run(args, wrk: str, workdir: Path) -> tuple[list[Result], dict]:
    """Prepare the database, serve both apps, sign in and measure every scenario in turn."""
    env = server_env(str(workdir / "instance"))
    log_path = workdir / "servers.log"
    servers: dict[str, Server] = {}
    with log_path.open("a") as log:
        try:
            wiki_pages = args.pages if args.only in (None, "wiki") else None
            print(
                "Preparing a temporary database with the demo accounts"
                + (f" and a wiki of {wiki_pages:,} pages ..." if wiki_pages else " ..."),
                flush=True,
            )
            started = time.monotonic()
            wiki_slugs = prepare_database(env, log, wiki_pages)
            print(f"  ready in {time.monotonic() - started:.0f} s", flush=True)
            for name in APP_SPECS:
                servers[name] = start_server(name, env, log, workdir)
                wait_until_ready(servers[name])
            print("Signing in as the demo member ...", flush=True)
            cookie = sign_in(servers["exchange"].port)
            rewritten = verify_signed_in(servers["exchange"].port, cookie)
            scenarios = selected_scenarios(args.only, wiki_slugs)
            results = [measure(wrk, servers[s.server], s, args, cookie) for s in scenarios]
        except BaseException:
            print_log_tail(log_path)
            raise
        finally:
            for server in servers.values():
                stop_server(server.process)
    return results, {
        "signed_in_cookie_rewritten_each_request": rewritten,
        "wiki": {"pages": wiki_pages, "measured_pages": wiki_slugs} if wiki_pages else None,
        "server_log_problems": log_problems(log_path),
    }


@dataclass
class CpuSample:
    """Busy and stolen CPU seconds of the whole machine, and those of this run's processes."""

    wall: float
    machine_busy: float
    machine_steal: float
    ours: float

    @classmethod
    def now(cls) -> CpuSample:
        ticks = os.sysconf("SC_CLK_TCK")
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        own = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        return cls(
            wall=time.monotonic(),
            machine_busy=(user + nice + system + irq + softirq) / ticks,
            machine_steal=steal / ticks,
            ours=sum(usage.ru_utime + usage.ru_stime for usage in own),
        )


def other_load(start: CpuSample, end: CpuSample) -> dict[str, float]:
    """CPU taken from the run by everything else: other processes and the hypervisor (steal).

    Our own figure counts the harness, wrk and gunicorn with its workers (reaped children).
    """
    others = (end.machine_busy - start.machine_busy) - (end.ours - start.ours)
    return {
        "wall_s": round(end.wall - start.wall, 1),
        "other_processes_cpu_s": round(max(others, 0.0), 1),
        "steal_cpu_s": round(end.machine_steal - start.machine_steal, 1),
    }


def warn_if_busy(load: float) -> None:
    if load > 0.5 * (os.cpu_count() or 1):
        print(
            f"Warning: the machine is busy (load average {load:.2f}); figures will be noisy.",
            file=sys.stderr,
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = find_wrk()
    started = dt.datetime.now().astimezone()
    warn_if_busy(os.getloadavg()[0])
    cpu_start = CpuSample.now()
    try:
        with tempfile.TemporaryDirectory(prefix="exchange-bench-") as workdir:
            results, findings = run(args, wrk, Path(workdir))
    except (RuntimeError, subprocess.SubprocessError) as error:
        print(f"The benchmark failed: {error}", file=sys.stderr)
        return 1
    interference = other_load(cpu_start, CpuSample.now())
    extra = {
        "started": started.isoformat(timespec="seconds"),
        "settings": {**vars(args), "workers": WORKERS, "worker_class": "sync"},
        "machine": machine(),
        "tools": tool_versions(wrk),
        "interference": interference,
        **findings,
    }
    path = write_json(results, extra)
    hello_first, hello_again = results[0].requests_per_s, results[-1].requests_per_s
    print()
    print(table(results))
    print()
    print(f"Hello app, second run / first run: {hello_again / hello_first:.2f} (noise of the run)")
    print(
        f"CPU used by other processes during the {interference['wall_s']} s run: "
        f"{interference['other_processes_cpu_s']} s (hypervisor steal "
        f"{interference['steal_cpu_s']} s) on {os.cpu_count()} CPUs"
    )
    for line in findings["server_log_problems"][:20]:
        print(f"server log: {line}")
    print(f"Figures written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
