"""Reading Inspect log headers: real logs in both formats, compared with Inspect; broken files."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import random
import subprocess
import sys
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard

from exchange.evaluations import inspect_logs as reader_module
from exchange.evaluations.inspect_logs import (
    InspectLogError,
    MetricValue,
    read_inspect_log,
    read_inspect_log_stream,
)
from tests.evaluations.conftest import (
    LOG_NAMES,
    ZIP_DEFLATED,
    ZIP_STORED,
    ZIP_ZSTANDARD,
    ZipMember,
    build_zip,
    compress,
)

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


def members_of(inspect_logs_paths: dict[str, Path]) -> dict[str, bytes]:
    """The uncompressed members of the success run (from its deflate re-pack: stdlib-readable)."""
    with zipfile.ZipFile(inspect_logs_paths["deflate_eval"]) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def expect_error(code: str, *fragments: str, **kwargs):
    """Read with ``kwargs`` and check the InspectLogError's code and message fragments."""
    source = kwargs.pop("source")
    with pytest.raises(InspectLogError) as caught:
        read_inspect_log(source, **kwargs)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.code == code, str(error)
    for fragment in fragments:
        assert fragment.lower() in str(error).lower(), str(error)
    return error


def utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def peak_memory(function) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ------------------------------------------------------------------------------------------
# Real logs, compared with what inspect_ai reports


@pytest.mark.parametrize("name", LOG_NAMES)
def test_header_matches_inspect(name, inspect_logs, inspect_expected):
    path = inspect_logs[name]
    expected = inspect_expected[name]
    run = read_inspect_log(path)

    assert run.format == path.suffix[1:]
    assert run.file_name == path.name
    assert run.file_size == path.stat().st_size
    assert run.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert run.log_version == expected["version"]
    for field in (
        "status",
        "run_id",
        "eval_id",
        "task_id",
        "eval_set_id",
        "task",
        "task_registry_name",
        "task_display_name",
        "task_version",
        "model",
        "inspect_version",
        "dataset_name",
        "dataset_samples",
        "epochs",
        "total_samples",
        "completed_samples",
        "tags",
    ):
        assert getattr(run, field) == expected[field], field
    assert run.created == utc(expected["created"])
    assert run.started_at == utc(expected["started_at"])
    assert run.completed_at == utc(expected["completed_at"])
    for moment in (run.created, run.started_at, run.completed_at):
        assert moment is not None
        assert moment.utcoffset().total_seconds() == 0
    assert run.solver_steps == expected["solvers"]
    assert run.error_message == expected["error"]
    assert run.token_usage == expected["model_usage"]
    assert run.total_tokens == sum(u["total_tokens"] for u in expected["model_usage"].values())

    rows = []
    for score in expected["scores"]:
        stderr = score["metrics"].get("stderr")
        for metric, value in score["metrics"].items():
            if metric != "stderr":
                rows.append(
                    MetricValue(
                        scorer=score["name"],
                        metric=metric,
                        value=None if math.isnan(value) else value,
                        stderr=stderr,
                        reducer=score["reducer"],
                        scored_samples=score["scored_samples"],
                    )
                )
    assert run.metrics == rows
    assert run.dedupe_key == (expected["run_id"], expected["task_id"])
    json.dumps(run.raw_header, allow_nan=False)  # strict JSON, storable as-is
    assert "samples" not in run.raw_header
    assert "reductions" not in run.raw_header


def test_success_run(inspect_logs, inspect_manifest):
    run = read_inspect_log(inspect_logs["success_eval"])
    assert run.format == "eval"
    assert run.status == "success"
    assert run.task == "arith"
    assert run.model == "mockllm/model"
    assert run.inspect_version == inspect_manifest["inspect_version"]
    # 6 samples, "1 plus n" answered right unless n is a multiple of 3: 4/6.
    assert run.metrics == [
        MetricValue(
            scorer="match",
            metric="accuracy",
            value=pytest.approx(4 / 6),
            stderr=pytest.approx(math.sqrt(4 / 6 * 2 / 6 / 5)),
            reducer=None,
            scored_samples=6,
        )
    ]
    assert (run.total_samples, run.completed_samples, run.dataset_samples) == (6, 6, 6)
    assert run.token_usage == {
        "mockllm/model": {"input_tokens": 75, "output_tokens": 30, "total_tokens": 105}
    }
    assert run.total_tokens == 105
    assert run.solver_steps == ["generate"]
    assert run.limits["epochs"] == 1
    assert run.error_message is None
    assert run.raw_header["eval"]["run_id"] == run.run_id


def test_both_formats_of_the_same_task_agree(inspect_logs):
    from_eval = read_inspect_log(inspect_logs["success_eval"])
    from_json = read_inspect_log(inspect_logs["success_json"])
    assert (from_eval.format, from_json.format) == ("eval", "json")
    assert from_eval.run_id != from_json.run_id  # two runs...
    for field in ("task", "model", "metrics", "total_samples", "token_usage", "solver_steps"):
        assert getattr(from_eval, field) == getattr(from_json, field), field  # ...same results


def test_epochs_and_two_scorers(inspect_logs):
    run = read_inspect_log(inspect_logs["epochs_eval"])
    assert run.epochs == 3
    assert run.limits["epochs"] == 3
    assert (run.dataset_samples, run.total_samples, run.completed_samples) == (5, 15, 15)
    assert [(m.scorer, m.metric) for m in run.metrics] == [
        ("match", "accuracy"),
        ("includes", "accuracy"),
    ]
    for row in run.metrics:
        assert row.value == pytest.approx(0.6)
        assert row.stderr == pytest.approx(math.sqrt(0.6 * 0.4 / 4))
        assert row.scored_samples == 5
    assert "stderr" not in {m.metric for m in run.metrics}


def test_run_without_scores(inspect_logs):
    run = read_inspect_log(inspect_logs["noscores_eval"])
    assert run.status == "success"
    assert run.metrics == []
    assert run.raw_header["results"]["scores"] == []
    assert run.total_samples == 3


def test_errored_and_cancelled_runs(inspect_logs):
    errored = read_inspect_log(inspect_logs["error_eval"])
    assert errored.status == "error"
    assert "boom: the solver failed on sample 2" in errored.error_message
    assert errored.metrics == []
    cancelled = read_inspect_log(inspect_logs["cancelled_json"])
    assert cancelled.status == "cancelled"
    assert cancelled.format == "json"
    assert cancelled.run_id == read_inspect_log(inspect_logs["success_eval"]).run_id
    assert [m.metric for m in cancelled.metrics] == ["accuracy"]


def test_nan_metric_in_json(inspect_logs):
    path = inspect_logs["nan_json"]
    assert b'"value": NaN' in path.read_bytes()  # what Inspect writes; ijson alone rejects it
    run = read_inspect_log(path)
    by_name = {m.metric: m for m in run.metrics}
    assert by_name["not_a_number"].value is None
    assert by_name["accuracy"].value == pytest.approx(0.5)
    assert by_name["accuracy"].stderr == by_name["not_a_number"].stderr
    json.dumps(run.raw_header, allow_nan=False)


def test_non_finite_tokens_outside_strings_only(inspect_logs, monkeypatch):
    """NaN/Infinity become null; the same words inside strings stay, across any chunk boundary."""
    doc = json.loads(inspect_logs["success_json"].read_text())
    tricky = 'say "NaN" or -Infinity\\"Infinity\\\\ NaN'
    doc["eval"]["task_args"] = {"text": tricky, "big": float("inf"), "small": float("-inf")}
    doc["eval"]["metadata"] = {"nan": float("nan"), "huge": 10**30}
    doc["samples"][0]["metadata"]["x"] = float("nan")
    data = json.dumps(doc).encode()
    assert b"-Infinity" in data and b"NaN" in data
    expected = read_inspect_log(data)
    for chunk in (1, 2, 3, 7, 10, 64):
        monkeypatch.setattr(reader_module, "_CHUNK", chunk)
        run = read_inspect_log(data)
        assert run.raw_header["eval"]["task_args"] == {"text": tricky, "big": None, "small": None}
        assert run.raw_header["eval"]["metadata"] == {"nan": None, "huge": 10**30}
        assert run == expected


# ------------------------------------------------------------------------------------------
# zstd, deflate and stored members


def test_current_inspect_writes_zstd_members(inspect_logs):
    with zipfile.ZipFile(inspect_logs["zstd_eval"]) as archive:
        assert {info.compress_type for info in archive.infolist()} == {ZIP_ZSTANDARD}
    assert read_inspect_log(inspect_logs["zstd_eval"]).status == "success"


@pytest.mark.parametrize("name", ["repacked_zstd_eval", "deflate_eval", "stored_eval"])
def test_repacked_archives_read_the_same(name, inspect_logs):
    original = read_inspect_log(inspect_logs["success_eval"])
    repacked = read_inspect_log(inspect_logs[name])
    assert repacked == dataclasses.replace(
        original,
        sha256=repacked.sha256,
        file_name=repacked.file_name,
        file_size=repacked.file_size,
    )


def test_build_zip_writes_valid_archives(inspect_logs, inspect_expected):
    members = {"a.json": b'{"a": 1}', "dir/b.txt": b"hello " * 1000, "empty": b""}
    for method in (ZIP_STORED, ZIP_DEFLATED):
        archive = zipfile.ZipFile(
            io.BytesIO(build_zip([ZipMember(n, d, method) for n, d in members.items()]))
        )
        assert archive.testzip() is None
        assert {i.filename: archive.read(i) for i in archive.infolist()} == members
    # Inspect itself (zipfile + zipfile_zstd) read the zstd re-pack written by build_zip.
    assert inspect_expected["repacked_zstd_eval"] == inspect_expected["success_eval"]


def test_reads_zstd_without_inspect_ai(inspect_logs):
    """In a process where inspect_ai and zipfile_zstd cannot be imported, zstd still reads."""
    script = (
        "import json, sys, zipfile\n"
        "sys.modules['inspect_ai'] = None\n"
        "sys.modules['zipfile_zstd'] = None\n"
        "from exchange.evaluations.inspect_logs import read_inspect_log\n"
        "path = sys.argv[1]\n"
        "try:\n"
        "    zipfile.ZipFile(path).read('header.json')\n"
        "    stdlib = 'read'\n"
        "except NotImplementedError:\n"
        "    stdlib = 'unsupported'\n"
        "run = read_inspect_log(path)\n"
        "print(json.dumps({'stdlib': stdlib, 'run_id': run.run_id,\n"
        "                  'metrics': [[m.metric, m.value] for m in run.metrics]}))\n"
    )
    path = inspect_logs["zstd_eval"]
    completed = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(completed.stdout)
    if sys.version_info < (3, 14):
        assert report["stdlib"] == "unsupported"
    run = read_inspect_log(path)
    assert report["run_id"] == run.run_id
    assert report["metrics"] == [[m.metric, m.value] for m in run.metrics]


# ------------------------------------------------------------------------------------------
# Inputs: paths, bytes and streams


class OneWayStream(io.RawIOBase):
    """A non-seekable stream over ``data`` (like a socket or a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._data.readinto(buffer)
        self.consumed += n
        return n


@pytest.mark.parametrize("name", ["success_eval", "success_json"])
def test_paths_bytes_and_streams_agree(name, inspect_logs):
    path = inspect_logs[name]
    data = path.read_bytes()
    expected = read_inspect_log(path)
    assert read_inspect_log(str(path)) == expected
    for source in (data, bytearray(data), memoryview(data)):
        assert read_inspect_log(source, file_name=path.name) == expected
    with path.open("rb") as f:
        assert read_inspect_log_stream(f, path.name) == expected
    assert read_inspect_log_stream(io.BytesIO(data), path.name) == expected
    assert read_inspect_log_stream(OneWayStream(data), path.name) == expected
    moved = io.BytesIO(b"ignored" + data)
    moved.seek(7)  # not at its start: read from here, through a copy
    assert read_inspect_log_stream(moved, path.name) == expected
    assert read_inspect_log(data).file_name == f"log.{path.suffix[1:]}"


def test_size_limit(inspect_logs):
    path = inspect_logs["success_eval"]
    size = path.stat().st_size
    assert read_inspect_log(path, max_bytes=size).status == "success"
    expect_error("too_large", "largest inspect log accepted", source=path, max_bytes=size - 1)
    expect_error("too_large", source=path.read_bytes(), max_bytes=1000)
    with pytest.raises(InspectLogError, match="largest Inspect log") as caught:
        read_inspect_log_stream(io.BytesIO(path.read_bytes()), path.name, max_bytes=1000)
    assert caught.value.code == "too_large"


def test_stream_size_limit_stops_reading():
    endless = OneWayStream(b"{" + b" " * (64 * MIB))
    with pytest.raises(InspectLogError) as caught:
        read_inspect_log_stream(endless, "huge.json", max_bytes=MIB)
    assert caught.value.code == "too_large"
    assert endless.consumed < 2 * MIB


# ------------------------------------------------------------------------------------------
# Memory: headers are read without the samples


@pytest.mark.parametrize("with_nan", [False, True], ids=["plain", "nan-in-samples"])
def test_large_json_read_with_bounded_memory(inspect_logs, tmp_path, with_nan):
    doc = json.loads(inspect_logs["success_json"].read_text())
    samples = doc["samples"]
    if with_nan:  # forces the second, filtered parse over the whole file
        samples[-1]["metadata"]["x"] = float("nan")
    copies = 20 * MIB // len(json.dumps(samples)) + 1
    doc["samples"] = samples * copies
    big = tmp_path / "big.json"
    big.write_text(json.dumps(doc))  # one C-encoded string: json.dump(doc, f) is much slower
    del doc, samples
    size = big.stat().st_size
    assert size > 20 * MIB

    run, peak = peak_memory(lambda: read_inspect_log(big))

    assert peak < 3 * MIB, f"peak {peak} bytes for a {size}-byte file"
    assert run.file_size == size
    assert run.total_samples == 6
    assert [m.metric for m in run.metrics] == ["accuracy"]
    assert "samples" not in run.raw_header


def test_eval_reads_only_header_json(inspect_logs):
    """Sample members that are huge, or not even valid zstd, are never touched."""
    members = members_of(inspect_logs)
    archive = build_zip(
        [
            ZipMember(
                "samples/1_epoch_1.json",
                b"",
                ZIP_ZSTANDARD,
                declared_size=3 * 1024**3,
                raw=b"not zstd at all",
            ),
            ZipMember("reductions.json", b"", ZIP_DEFLATED, declared_size=10**9, raw=b"\xff" * 64),
            ZipMember("header.json", members["header.json"], ZIP_ZSTANDARD),
        ]
    )
    run, peak = peak_memory(lambda: read_inspect_log(archive))
    assert run.run_id == read_inspect_log(inspect_logs["success_eval"]).run_id
    assert peak < MIB


# ------------------------------------------------------------------------------------------
# Broken and hostile files


@pytest.mark.parametrize("keep", [0.5, 0.95, -1, -30])
def test_truncated_eval(inspect_logs, keep):
    data = inspect_logs["success_eval"].read_bytes()
    cut = data[: int(len(data) * keep)] if keep > 0 else data[:keep]
    expect_error("corrupt_archive", "truncated", source=cut, file_name="run.eval")


@pytest.mark.parametrize("method", [ZIP_DEFLATED, ZIP_ZSTANDARD])
def test_truncated_header_member(inspect_logs, method):
    header = members_of(inspect_logs)["header.json"]
    archive = build_zip(
        [ZipMember("header.json", header, method, raw=compress(header, method)[:-40])]
    )
    expect_error("corrupt_archive", "corrupt", source=archive)


@pytest.mark.parametrize("keep", [0.02, 0.5, 0.999])
def test_truncated_json(inspect_logs, keep):
    data = inspect_logs["success_json"].read_bytes()
    expect_error("invalid_json", "truncated", source=data[: int(len(data) * keep)])


def test_random_bytes():
    data = random.Random(1234).randbytes(4096)
    assert not data.startswith((b"PK", b"{"))
    expect_error("unknown_format", "not an inspect log", source=data)
    expect_error("unknown_format", "not a zip archive", source=data, file_name="run.eval")
    expect_error("empty", "empty", source=b"")


def test_zip_without_header(inspect_logs):
    expect_error(
        "missing_header",
        "not an inspect .eval log",
        "no header.json",
        source=build_zip([ZipMember("notes.txt", b"hello")]),
    )
    expect_error("missing_header", "no header.json", source=build_zip([]))
    in_progress = build_zip(
        [ZipMember(n, d) for n, d in members_of(inspect_logs).items() if n.startswith("_journal")]
    )
    expect_error("missing_header", "still in progress", source=in_progress)


@pytest.mark.parametrize(
    ("document", "code", "fragment"),
    [
        (b'{"hello": "world"}', "not_inspect_log", "no 'eval' section"),
        (b"[1, 2, 3]", "unknown_format", "not an inspect log"),
        (b'{"version": 2, "eval": {"run_id": "r", "task": "t"}}', "not_inspect_log", "model"),
        (b'{"version": 2, "eval": {"model": "m/m"}}', "not_inspect_log", "run_id, task"),
        (b'{"version": 2, "status": }', "invalid_json", "not valid json"),
        (b'{"a": 1} trailing', "invalid_json", "not valid json"),
    ],
)
def test_json_that_is_not_an_inspect_log(document, code, fragment):
    expect_error(code, fragment, source=document, file_name="x.json")


def test_header_json_that_is_not_an_inspect_header():
    expect_error(
        "invalid_json",
        "header.json is not valid json",
        source=build_zip([ZipMember("header.json", b'{"version": 2,')]),
    )
    expect_error(
        "not_inspect_log",
        "not a json object",
        source=build_zip([ZipMember("header.json", b"[]")]),
    )


def test_unsupported_version_and_status(inspect_logs):
    text = inspect_logs["success_json"].read_text()
    assert text.startswith('{\n  "version": 2,')
    future = text.replace('"version": 2', '"version": 99', 1).encode()
    expect_error("unsupported_version", "version 99", source=future)
    missing = text.replace('"version": 2,', "", 1).encode()
    expect_error("unsupported_version", "version none", source=missing)
    odd = text.replace('"status": "success"', '"status": "done"', 1).encode()
    expect_error("not_inspect_log", "unknown run status", source=odd)
    header = json.loads(members_of(inspect_logs)["header.json"])
    header["version"] = 99
    expect_error(
        "unsupported_version",
        "version 99",
        source=build_zip([ZipMember("header.json", json.dumps(header).encode(), ZIP_ZSTANDARD)]),
    )


@pytest.mark.parametrize("method", [ZIP_DEFLATED, ZIP_ZSTANDARD])
def test_zip_bomb_is_not_decompressed(method):
    """header.json declares (truly) 40 MiB: more than the header limit, so it is refused."""
    bomb = b'{"padding": "' + b"0" * (40 * MIB) + b'"}'
    archive = build_zip([ZipMember("header.json", bomb, method)])
    del bomb
    assert len(archive) < MIB

    def attempt():
        with pytest.raises(InspectLogError) as caught:
            read_inspect_log(archive, file_name="bomb.eval")
        return caught.value

    error, peak = peak_memory(attempt)
    assert error.code == "too_large"
    assert "header.json" in str(error)
    assert "not decompressed" in str(error)
    assert peak < MIB


@pytest.mark.parametrize("method", [ZIP_STORED, ZIP_DEFLATED, ZIP_ZSTANDARD])
def test_member_larger_than_declared_stops_decompressing(method):
    """A header.json that lies about its size: decompression stops just past the declared size."""
    data = b'{"padding": "' + b"0" * (8 * MIB) + b'"}'
    archive = build_zip([ZipMember("header.json", data, method, declared_size=1000)])
    del data

    def attempt():
        with pytest.raises(InspectLogError) as caught:
            read_inspect_log(archive)
        return caught.value

    error, peak = peak_memory(attempt)
    assert error.code == "corrupt_archive"
    assert "more data than it declares" in str(error)
    assert peak < MIB


def test_member_checksum_and_method(inspect_logs):
    header = members_of(inspect_logs)["header.json"]
    expect_error(
        "corrupt_archive",
        "checksum",
        source=build_zip([ZipMember("header.json", header, ZIP_ZSTANDARD, crc=0)]),
    )
    expect_error(
        "unsupported_compression",
        "method 12",
        source=build_zip([ZipMember("header.json", header, 12, raw=b"BZh9")]),
    )
    garbage = build_zip([ZipMember("header.json", header, ZIP_ZSTANDARD, raw=b"\x00" * 200)])
    expect_error("corrupt_archive", "corrupt", source=garbage)


def test_header_size_limit_for_json(inspect_logs):
    path = inspect_logs["success_json"]
    expect_error("too_large", "header", source=path, max_header_bytes=1000)
    assert read_inspect_log(path, max_header_bytes=MIB).status == "success"


def test_zstd_frame_asking_for_a_huge_window_is_refused():
    """A tiny member whose zstd frame would make the decoder allocate 128 MiB up front."""
    data = b'{"a": 1}' * 10
    params = zstandard.ZstdCompressionParameters(window_log=27)
    compressor = zstandard.ZstdCompressor(compression_params=params).compressobj()
    payload = compressor.compress(data) + compressor.flush()
    assert zstandard.get_frame_parameters(payload).window_size == 128 * MIB
    archive = build_zip([ZipMember("header.json", data, ZIP_ZSTANDARD, raw=payload)])
    expect_error("corrupt_archive", "cannot be decompressed", source=archive)
