"""Fixtures for evaluation records: real Inspect logs, produced once per test session.

The logs are produced by ``inspect_ai`` with its ``mockllm`` provider, in a subprocess (this file
run as a script), so that importing Inspect never patches this process: Inspect installs
``zipfile_zstd`` into ``zipfile`` and ``nest_asyncio`` into ``asyncio``. The subprocess also
reads every log back with ``inspect_ai.log.read_eval_log(header_only=True)`` and writes what
Inspect reports to ``manifest.json``, for the tests to compare against.

Offline: mockllm counts input tokens with ``tiktoken`` when an output has no usage, and tiktoken
downloads its encoding on first use. The mock model here always returns outputs with their usage
set, so token counting never runs; as a guard, ``tiktoken.get_encoding`` is replaced in the
subprocess by a function that raises, so a regression shows up as an errored run whose message
names tiktoken rather than as a network call.

Also here: :func:`build_zip`, a small ZIP writer that can write zstd members (ZIP method 93,
which ``zipfile`` cannot write before Python 3.14), lie about sizes, or store raw bytes, for
re-packed and broken ``.eval`` files.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import zstandard

ZIP_STORED, ZIP_DEFLATED, ZIP_ZSTANDARD = 0, 8, 93

LOG_NAMES = (
    "success_eval",  # 6 samples, match(): accuracy 4/6
    "success_json",  # the same task, another run, written as .json
    "epochs_eval",  # 5 samples x 3 epochs, two scorers (match and includes)
    "noscores_eval",  # no scorer: results.scores == []
    "error_eval",  # a solver raises on one sample: status "error"
    "cancelled_json",  # success_eval rewritten by write_eval_log with status "cancelled"
    "nan_json",  # a metric whose value is NaN (a bare NaN token in the JSON)
    "zstd_eval",  # every member zstd-compressed (as current Inspect writes them)
    "repacked_zstd_eval",  # success_eval re-packed by build_zip, zstd members
    "deflate_eval",  # success_eval re-packed by build_zip, deflate members
    "stored_eval",  # success_eval re-packed by build_zip, stored members
)


# ------------------------------------------------------------------------------------------
# A minimal ZIP writer


@dataclass(frozen=True)
class ZipMember:
    """One member for :func:`build_zip`.

    ``declared_size`` overrides the uncompressed size written in the headers and ``raw`` the
    compressed payload (both for broken archives); ``crc`` defaults to the CRC-32 of ``data``.
    """

    name: str
    data: bytes = b""
    method: int = ZIP_DEFLATED
    declared_size: int | None = None
    raw: bytes | None = None
    crc: int | None = None


def compress(data: bytes, method: int) -> bytes:
    """``data`` compressed as a ZIP member payload with ``method`` (0, 8 or 93)."""
    if method == ZIP_STORED:
        return data
    if method == ZIP_DEFLATED:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return compressor.compress(data) + compressor.flush()
    if method == ZIP_ZSTANDARD:
        return zstandard.ZstdCompressor(level=3).compress(data)
    raise ValueError(f"unsupported method {method}")


def build_zip(members: list[ZipMember]) -> bytes:
    """A ZIP archive (no ZIP64, no data descriptors) with ``members``, in order."""
    body = bytearray()
    directory = bytearray()
    dos_date = (0 << 9) | (1 << 5) | 1  # 1980-01-01
    for member in members:
        name = member.name.encode()
        payload = compress(member.data, member.method) if member.raw is None else member.raw
        size = len(member.data) if member.declared_size is None else member.declared_size
        crc = zlib.crc32(member.data) if member.crc is None else member.crc
        needed = 63 if member.method == ZIP_ZSTANDARD else 20
        offset = len(body)
        body += struct.pack(
            "<4s5H3L2H",
            b"PK\x03\x04",
            needed,
            0,
            member.method,
            0,
            dos_date,
            crc,
            len(payload),
            size,
            len(name),
            0,
        )
        body += name + payload
        directory += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            needed,
            needed,
            0,
            member.method,
            0,
            dos_date,
            crc,
            len(payload),
            size,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += name
    end = struct.pack(
        "<4s4H2LH",
        b"PK\x05\x06",
        0,
        0,
        len(members),
        len(members),
        len(directory),
        len(body),
        0,
    )
    return bytes(body + directory + end)


def repack(members: dict[str, bytes], method: int) -> bytes:
    """An archive of ``members`` (name -> uncompressed bytes), all compressed with ``method``."""
    return build_zip([ZipMember(name, data, method) for name, data in members.items()])


# ------------------------------------------------------------------------------------------
# Producing the logs (runs in a subprocess: `python conftest.py OUT_DIR`)


def _disable_tiktoken() -> None:
    import tiktoken

    def refuse(*_args, **_kwargs):
        raise RuntimeError("tiktoken is disabled in the test logs (it would download encodings)")

    tiktoken.get_encoding = refuse


def _produce(out: Path) -> None:  # pragma: no cover - runs in the subprocess
    _disable_tiktoken()
    import zipfile

    from inspect_ai import Task, task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.log import read_eval_log, write_eval_log
    from inspect_ai.model import ModelOutput, ModelUsage, get_model
    from inspect_ai.scorer import Metric, accuracy, includes, match, metric, stderr
    from inspect_ai.solver import generate, solver

    def answer(messages, _tools, _tool_choice, _config):
        """Answers "1 plus n" right unless n is a multiple of 3; usage set (no tiktoken)."""
        n = int(messages[-1].text.rstrip("?").split()[-1])
        text = f"The answer is {n + 1}" if n % 3 else "The answer is unknown"
        output = ModelOutput.from_content(model="mockllm/model", content=text)
        output.usage = ModelUsage(input_tokens=10 + n, output_tokens=5, total_tokens=15 + n)
        return output

    model = get_model("mockllm/model", custom_outputs=answer)

    def dataset(n: int) -> list:
        return [Sample(id=i + 1, input=f"What is 1 plus {i}?", target=str(i + 1)) for i in range(n)]

    @metric
    def not_a_number() -> Metric:
        def compute(_scores) -> float:
            return float("nan")

        return compute

    @solver
    def fails_on_second():
        async def solve(state, generate):
            if state.sample_id == 2:
                raise RuntimeError("boom: the solver failed on sample 2")
            return await generate(state)

        return solve

    @task
    def arith():
        return Task(dataset=dataset(6), solver=[generate()], scorer=match(location="end"))

    @task
    def two_scorers():
        return Task(
            dataset=dataset(5),
            solver=[generate()],
            scorer=[match(location="end"), includes()],
            epochs=3,
        )

    @task
    def unscored():
        return Task(dataset=dataset(3), solver=[generate()])

    @task
    def failing():
        return Task(dataset=dataset(3), solver=[fails_on_second()], scorer=match())

    @task
    def nan_metric():
        return Task(
            dataset=dataset(4),
            solver=[generate()],
            scorer=match(location="end"),
            metrics=[accuracy(), stderr(), not_a_number()],
        )

    common = {"model": model, "display": "none", "log_level": "error"}
    paths: dict[str, str] = {}

    def run(tasks, fmt: str) -> None:
        for log in inspect_eval(tasks, log_dir=str(out / fmt), log_format=fmt, **common):
            paths[f"{log.eval.task}_{fmt}"] = log.location

    run([arith(), two_scorers(), unscored(), failing()], "eval")
    run([arith(), nan_metric()], "json")

    logs = {
        "success_eval": paths["arith_eval"],
        "success_json": paths["arith_json"],
        "epochs_eval": paths["two_scorers_eval"],
        "noscores_eval": paths["unscored_eval"],
        "error_eval": paths["failing_eval"],
        "nan_json": paths["nan_metric_json"],
    }

    cancelled = read_eval_log(logs["success_eval"])
    cancelled.status = "cancelled"
    logs["cancelled_json"] = str(out / "cancelled.json")
    write_eval_log(cancelled, logs["cancelled_json"], format="json")

    # zipfile can read zstd here: importing inspect_ai installed zipfile_zstd.
    with zipfile.ZipFile(logs["success_eval"]) as archive:
        methods = {info.compress_type for info in archive.infolist()}
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    for name, method in (
        ("repacked_zstd_eval", ZIP_ZSTANDARD),
        ("deflate_eval", ZIP_DEFLATED),
        ("stored_eval", ZIP_STORED),
    ):
        path = out / f"{name}.eval"
        path.write_bytes(repack(members, method))
        logs[name] = str(path)
    inspect_writes_zstd = methods == {ZIP_ZSTANDARD}
    logs["zstd_eval"] = logs["success_eval" if inspect_writes_zstd else "repacked_zstd_eval"]

    manifest = {
        "inspect_version": _inspect_version(),
        "inspect_writes_zstd": inspect_writes_zstd,
        "logs": {
            name: {"path": path, "expected": _expected(read_eval_log(path, header_only=True))}
            for name, path in logs.items()
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))


def _inspect_version() -> str:  # pragma: no cover - runs in the subprocess
    from importlib.metadata import version

    return version("inspect_ai")


def _expected(log) -> dict:  # pragma: no cover - runs in the subprocess
    """What Inspect itself reports about a log header, as plain JSON."""
    results = log.results
    return {
        "version": log.version,
        "status": log.status,
        "run_id": log.eval.run_id,
        "eval_id": log.eval.eval_id,
        "task_id": log.eval.task_id,
        "eval_set_id": log.eval.eval_set_id,
        "task": log.eval.task,
        "task_registry_name": log.eval.task_registry_name,
        "task_display_name": log.eval.task_display_name,
        "task_version": log.eval.task_version,
        "model": log.eval.model,
        "inspect_version": log.eval.packages.get("inspect_ai"),
        "dataset_name": log.eval.dataset.name,
        "dataset_samples": log.eval.dataset.samples,
        "created": log.eval.created,
        "started_at": log.stats.started_at,
        "completed_at": log.stats.completed_at,
        "epochs": log.eval.config.epochs,
        "total_samples": results.total_samples if results else None,
        "completed_samples": results.completed_samples if results else None,
        "scores": [
            {
                "name": score.name,
                "reducer": score.reducer,
                "scored_samples": score.scored_samples,
                "metrics": {name: m.value for name, m in score.metrics.items()},
            }
            for score in (results.scores if results else [])
        ],
        "model_usage": {
            model: usage.model_dump(exclude_none=True)
            for model, usage in log.stats.model_usage.items()
        },
        "solvers": [step.solver for step in log.plan.steps],
        "error": log.error.message if log.error else None,
        "tags": log.eval.tags or [],
    }


# ------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def inspect_manifest(tmp_path_factory) -> dict:
    """Produce the logs once per session; the manifest maps each name to path and expectations."""
    out = tmp_path_factory.mktemp("inspect_logs")
    xdg = out / "xdg"
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(xdg / "data"),
        "XDG_CACHE_HOME": str(xdg / "cache"),
        "XDG_CONFIG_HOME": str(xdg / "config"),
        "XDG_STATE_HOME": str(xdg / "state"),
        "TIKTOKEN_CACHE_DIR": str(xdg / "tiktoken"),
        "INSPECT_DISPLAY": "none",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(out)],
        cwd=out,  # away from any .env file Inspect would load
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(
            "producing Inspect logs failed:\n" + completed.stdout[-3000:] + completed.stderr[-6000:]
        )
    manifest = json.loads((out / "manifest.json").read_text())
    for name, entry in manifest["logs"].items():
        entry["path"] = Path(entry["path"])
        assert entry["path"].is_file(), name
    return manifest


@pytest.fixture(scope="session")
def inspect_logs(inspect_manifest) -> dict[str, Path]:
    """Real Inspect logs by name (see ``LOG_NAMES``): produced once per session."""
    return {name: entry["path"] for name, entry in inspect_manifest["logs"].items()}


@pytest.fixture(scope="session")
def inspect_expected(inspect_manifest) -> dict[str, dict]:
    """What ``read_eval_log(path, header_only=True)`` reports for each log in ``inspect_logs``."""
    return {name: entry["expected"] for name, entry in inspect_manifest["logs"].items()}


if __name__ == "__main__":  # pragma: no cover
    _produce(Path(sys.argv[1]))
