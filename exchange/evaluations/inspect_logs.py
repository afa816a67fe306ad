"""Read the header of an Inspect (``inspect_ai``) evaluation log, without ``inspect_ai``.

Inspect writes a run in one of two formats:

``.json``
    One JSON document holding the whole ``EvalLog``. The header fields (``version``, ``status``,
    ``eval``, ``plan``, ``results``, ``stats``, ``error``, ...) come first, then ``samples`` and
    ``reductions``, which can be gigabytes. The document is stream-parsed with ``ijson``: the
    header fields are built, ``samples`` and ``reductions`` are skipped event by event without
    being built, so memory stays bounded whatever the size of the samples. Inspect writes
    non-finite floats as the bare tokens ``NaN``/``Infinity``, which ``ijson`` rejects; when the
    fast parse fails the file is parsed again through a filter that turns those tokens (outside
    strings) into ``null``.

``.eval``
    A ZIP archive with ``header.json`` (every field except the samples), ``samples/*.json``,
    ``summaries.json``, ``reductions.json`` and ``_journal/*``. Only ``header.json`` is read.
    Current Inspect versions compress members with zstd (ZIP method 93), which ``zipfile`` cannot
    read before Python 3.14. The archive's directory is listed with ``zipfile``; the member is
    then located through its local file header and decompressed here: stored and deflate with
    the stdlib, zstd with ``zstandard``. Decompression is streamed and stops as soon as the
    output would pass the member's declared size, which itself must be within
    ``max_header_bytes`` (ZIP bombs). The size and CRC-32 are checked.

Format is detected from the content, not the file name. Every problem with the file raises
:class:`InspectLogError`, a ``ValueError`` whose message can be shown to the uploader. The
result is an :class:`InspectRun`; its ``raw_header`` keeps the header (without samples) for
provenance, as strict JSON (non-finite numbers become ``null``).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson
import zstandard

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_HEADER_BYTES",
    "SUPPORTED_LOG_VERSIONS",
    "InspectLogError",
    "InspectRun",
    "MetricValue",
    "read_inspect_log",
    "read_inspect_log_stream",
]

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
"""Largest log file accepted by default (the whole file, samples included)."""

DEFAULT_MAX_HEADER_BYTES = 16 * 1024 * 1024
"""Largest header accepted by default: ``header.json`` uncompressed, or the non-sample part of a
``.json`` log (approximately)."""

SUPPORTED_LOG_VERSIONS = (1, 2, 3)
"""``EvalLog.version`` values this reader understands."""

RUN_STATUSES = ("started", "success", "cancelled", "error")

LIMIT_KEYS = (
    "limit",
    "sample_id",
    "epochs",
    "epochs_reducer",
    "message_limit",
    "token_limit",
    "time_limit",
    "working_limit",
    "cost_limit",
    "fail_on_error",
    "continue_on_fail",
    "retry_on_error",
    "max_samples",
    "max_tasks",
    "max_subprocesses",
    "max_sandboxes",
)
"""``eval.config`` entries kept in :attr:`InspectRun.limits` (those that are set)."""

_SKIPPED_JSON_KEYS = frozenset({"samples", "reductions"})
_CHUNK = 256 * 1024
_ZIP_STORED, _ZIP_DEFLATED, _ZIP_ZSTANDARD = 0, 8, 93
_ZSTD_MIN_WINDOW, _ZSTD_MAX_WINDOW = 1 << 23, 1 << 27
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_STARTS = frozenset({"start_map", "start_array"})
_ENDS = frozenset({"end_map", "end_array"})


class InspectLogError(ValueError):
    """The file is not a readable Inspect log; ``str(error)`` is a message for the uploader.

    ``code`` names the kind of problem: ``too_large``, ``empty``, ``unknown_format``,
    ``corrupt_archive``, ``missing_header``, ``unsupported_compression``, ``invalid_json``,
    ``not_inspect_log`` or ``unsupported_version``.
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class MetricValue:
    """One metric of one score, with the score's sibling ``stderr`` metric when it has one."""

    scorer: str
    metric: str
    value: float | None
    stderr: float | None
    reducer: str | None
    scored_samples: int | None


@dataclass(frozen=True)
class InspectRun:
    """What the header of one Inspect log says about its run."""

    format: str  # "eval" | "json"
    sha256: str  # of the whole file
    file_name: str
    file_size: int
    log_version: int
    status: str  # started | success | cancelled | error
    invalidated: bool
    inspect_version: str | None  # eval.packages["inspect_ai"]
    run_id: str
    eval_id: str | None
    task_id: str | None
    eval_set_id: str | None
    task: str
    task_registry_name: str | None
    task_display_name: str | None
    task_version: str | int | None
    model: str  # "provider/model"
    model_roles: dict
    dataset_name: str | None
    dataset_samples: int | None
    created: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    total_samples: int | None
    completed_samples: int | None
    epochs: int | None
    limits: dict  # the LIMIT_KEYS entries of eval.config that are set
    solver_steps: list[str]  # plan.steps[].solver
    generate_config: dict  # plan.config, without unset entries
    token_usage: dict[str, dict[str, int]]  # stats.model_usage, integer counts only
    total_tokens: int
    metrics: list[MetricValue]
    error_message: str | None
    tags: list[str]  # eval.tags, then tags added after the run
    raw_header: dict  # the header without samples/reductions, strict JSON

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """(run id, task id): the same task of the same run, whatever file it comes in."""
        return (self.run_id, self.task_id or self.eval_id or self.task)


# --------------------------------------------------------------------------------------------
# Entry points


def read_inspect_log(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
    file_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
) -> InspectRun:
    """Read the header of the Inspect log at a path, or in bytes, as an :class:`InspectRun`.

    ``file_name`` defaults to the path's name (``log.eval``/``log.json`` for bytes). Files larger
    than ``max_bytes`` are refused before they are read. A missing or unreadable path raises
    ``OSError``; everything wrong with the content raises :class:`InspectLogError`.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        _check_size(len(data), max_bytes)
        return _read_seekable(io.BytesIO(data), file_name, max_bytes, max_header_bytes)
    path = Path(source)
    _check_size(path.stat().st_size, max_bytes)
    with path.open("rb") as f:
        return _read_seekable(f, file_name or path.name, max_bytes, max_header_bytes)


def read_inspect_log_stream(
    fileobj: IO[bytes],
    file_name: str | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
) -> InspectRun:
    """Read an Inspect log from a binary file object (an upload stream).

    A seekable stream positioned at its start is read in place; any other stream is first
    copied to a spooled temporary file, stopping with :class:`InspectLogError` as soon as it
    passes ``max_bytes``. The stream is not closed; its position afterwards is unspecified.
    """
    if _at_start_and_seekable(fileobj):
        _check_size(fileobj.seek(0, io.SEEK_END), max_bytes)
        fileobj.seek(0)
        return _read_seekable(fileobj, file_name, max_bytes, max_header_bytes)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        copied = 0
        while chunk := fileobj.read(_CHUNK):
            copied += len(chunk)
            _check_size(copied, max_bytes, exact=False)
            spool.write(chunk)
        spool.seek(0)
        return _read_seekable(spool, file_name, max_bytes, max_header_bytes)


def _at_start_and_seekable(fileobj: IO[bytes]) -> bool:
    try:
        return bool(fileobj.seekable()) and fileobj.tell() == 0
    except (AttributeError, OSError, ValueError):
        return False


def _read_seekable(
    f: IO[bytes], file_name: str | None, max_bytes: int, max_header_bytes: int
) -> InspectRun:
    digest = hashlib.sha256()
    size = 0
    while chunk := f.read(_CHUNK):
        size += len(chunk)
        _check_size(size, max_bytes, exact=False)
        digest.update(chunk)
    if size == 0:
        raise InspectLogError("The file is empty.", "empty")
    f.seek(0)
    fmt = _sniff_format(f.read(64), file_name)
    f.seek(0)
    if fmt == "eval":
        header = _read_eval_header(f, max_header_bytes)
    else:
        header = _read_json_header(f, max_header_bytes)
    return _build_run(
        header,
        fmt=fmt,
        sha256=digest.hexdigest(),
        file_name=file_name or f"log.{fmt}",
        file_size=size,
    )


def _human_size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _check_size(size: int, max_bytes: int, exact: bool = True) -> None:
    if size > max_bytes:
        limit = _human_size(max_bytes)
        raise InspectLogError(
            f"The file is {_human_size(size)}; the largest Inspect log accepted is {limit}."
            if exact
            else f"The file is larger than {limit}, the largest Inspect log accepted.",
            "too_large",
        )


def _sniff_format(head: bytes, file_name: str | None) -> str:
    if head.startswith(_ZIP_SIGNATURES):
        return "eval"
    if head.lstrip(b" \t\r\n").startswith(b"{"):
        return "json"
    hint = ""
    suffix = Path(file_name or "").suffix.lower()
    if suffix == ".eval":
        hint = " It is named .eval but is not a ZIP archive."
    elif suffix == ".json":
        hint = " It is named .json but does not hold a JSON object."
    raise InspectLogError(
        "This file is not an Inspect log: expected an .eval archive (ZIP) or a .json log." + hint,
        "unknown_format",
    )


# --------------------------------------------------------------------------------------------
# .eval: header.json from the ZIP archive


def _read_eval_header(f: IO[bytes], max_header_bytes: int) -> dict:
    try:
        with zipfile.ZipFile(f) as archive:
            members = {info.filename: info for info in archive.infolist()}
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        ValueError,
        struct.error,
    ) as exc:
        raise InspectLogError(
            "The .eval file is truncated or corrupt: its ZIP directory cannot be read. "
            "Upload the complete file again.",
            "corrupt_archive",
        ) from exc
    info = members.get("header.json")
    if info is None:
        if any(name.startswith("_journal/") for name in members):
            message = (
                "The .eval archive has no header.json: the run was probably still in progress "
                "or was interrupted before Inspect finished writing the log."
            )
        else:
            message = "This ZIP archive is not an Inspect .eval log: it has no header.json."
        raise InspectLogError(message, "missing_header")
    data = _read_member(f, info, max_header_bytes)
    try:
        header = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InspectLogError(
            "The .eval archive's header.json is not valid JSON.", "invalid_json"
        ) from exc
    return header


def _read_member(f: IO[bytes], info: zipfile.ZipInfo, limit: int) -> bytes:
    """Decompress one member, refusing more than ``limit`` bytes of output; check size and CRC."""
    name = info.filename
    if info.flag_bits & 0x1:
        raise InspectLogError(f"{name} in the .eval archive is encrypted.", "corrupt_archive")
    expected = info.file_size
    if expected > limit:
        raise InspectLogError(
            f"{name} in the .eval archive declares {_human_size(expected)} of data, more than "
            f"the {_human_size(limit)} allowed for a log header; it was not decompressed.",
            "too_large",
        )
    f.seek(info.header_offset)
    local = f.read(_LOCAL_HEADER.size)
    if len(local) < _LOCAL_HEADER.size:
        raise _truncated(name)
    fields = _LOCAL_HEADER.unpack(local)
    if fields[0] != _LOCAL_HEADER_SIGNATURE:
        raise InspectLogError(
            f"The .eval archive is corrupt: {name} is not where its directory says.",
            "corrupt_archive",
        )
    name_length, extra_length = fields[-2], fields[-1]
    f.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    source = _BoundedReader(f, info.compress_size)
    method = info.compress_type
    try:
        if method == _ZIP_STORED:
            data = source.read(min(info.compress_size, expected + 1))
        elif method == _ZIP_DEFLATED:
            data = _inflate(source, expected)
        elif method == _ZIP_ZSTANDARD:
            data = _unzstd(source, expected)
        else:
            raise InspectLogError(
                f"{name} in the .eval archive uses ZIP compression method {method}; only "
                "stored, deflate and zstd are supported.",
                "unsupported_compression",
            )
    except (zlib.error, zstandard.ZstdError) as exc:
        if source.short:
            raise _truncated(name) from exc
        raise InspectLogError(
            f"The .eval archive is corrupt: {name} cannot be decompressed.", "corrupt_archive"
        ) from exc
    if len(data) > expected:
        raise InspectLogError(
            f"The .eval archive is corrupt: {name} holds more data than it declares "
            f"({_human_size(expected)}); it was not decompressed further.",
            "corrupt_archive",
        )
    if source.short or len(data) < expected:
        raise _truncated(name)
    if zlib.crc32(data) != info.CRC:
        raise InspectLogError(
            f"The .eval archive is corrupt: {name} fails its checksum.", "corrupt_archive"
        )
    return data


def _truncated(name: str) -> InspectLogError:
    return InspectLogError(
        f"The .eval file is truncated or corrupt: {name} is incomplete. "
        "Upload the complete file again.",
        "corrupt_archive",
    )


class _BoundedReader:
    """Reads at most ``remaining`` bytes from ``f``; ``short`` is set if ``f`` ends first."""

    def __init__(self, f: IO[bytes], remaining: int) -> None:
        self._f = f
        self._remaining = remaining
        self.short = False

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._remaining:
            size = self._remaining
        if size == 0:
            return b""
        data = self._f.read(size)
        self._remaining -= len(data)
        if len(data) < size:
            self.short = True
            self._remaining = 0
        return data


def _inflate(source: _BoundedReader, expected: int) -> bytes:
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    out = bytearray()
    while not decompressor.eof and (chunk := source.read(_CHUNK)):
        while chunk and not decompressor.eof:
            out += decompressor.decompress(chunk, expected + 1 - len(out))
            if len(out) > expected:
                return bytes(out)
            chunk = decompressor.unconsumed_tail
    if not decompressor.eof:
        raise zlib.error("the deflate stream does not end")
    return bytes(out)


def _unzstd(source: _BoundedReader, expected: int) -> bytes:
    out = bytearray()
    # The window is memory the decoder allocates up front: a frame may not ask for much more
    # than the member's declared size (8 MiB covers any compression level up to 19).
    window = min(_ZSTD_MAX_WINDOW, max(_ZSTD_MIN_WINDOW, expected))
    decompressor = zstandard.ZstdDecompressor(max_window_size=window)
    with decompressor.stream_reader(source, read_across_frames=True, closefd=False) as reader:
        while chunk := reader.read(min(_CHUNK, expected + 1 - len(out))):
            out += chunk
            if len(out) > expected:
                break
    return bytes(out)


# --------------------------------------------------------------------------------------------
# .json: stream-parse the document, skipping samples and reductions


def _read_json_header(f: IO[bytes], max_header_bytes: int) -> dict:
    try:
        return _parse_json_header(f, max_header_bytes, use_float=True)
    except InspectLogError:
        raise
    except (ijson.JSONError, ValueError, OverflowError):
        # ijson rejects NaN/Infinity (which Inspect writes for non-finite floats) and, with
        # use_float, integers beyond 64 bits: parse again through a filter, with exact numbers.
        pass
    f.seek(0)
    try:
        return _parse_json_header(_NonFiniteFilter(f), max_header_bytes, use_float=False)
    except InspectLogError:
        raise
    except (ijson.JSONError, ValueError, OverflowError) as exc:
        raise _json_error(exc) from exc


def _json_error(exc: Exception) -> InspectLogError:
    lines = str(exc).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    if "premature eof" in detail.lower():
        return InspectLogError(
            "The JSON log ends unexpectedly: the file is probably truncated. "
            "Upload the complete file again.",
            "invalid_json",
        )
    return InspectLogError(f"The file is not valid JSON ({detail[:120]}).", "invalid_json")


def _parse_json_header(stream: Any, max_header_bytes: int, use_float: bool) -> dict:
    events = ijson.basic_parse(stream, use_float=use_float, buf_size=64 * 1024)
    first = next(events, None)
    if first is None:
        raise ijson.IncompleteJSONError("premature EOF")
    if first[0] != "start_map":
        raise InspectLogError(
            "This JSON file is not an Inspect log: it does not hold a JSON object.",
            "not_inspect_log",
        )
    header: dict[str, Any] = {}
    budget = _Budget(max_header_bytes)
    closed = False
    for event, value in events:
        if event == "end_map":
            closed = True
            break
        if value in _SKIPPED_JSON_KEYS:
            _skip_value(events)
        else:
            budget.charge(value)
            header[value] = _build_value(events, budget)
    if not closed:
        raise ijson.IncompleteJSONError("premature EOF")
    for _event in events:  # let ijson check that nothing but whitespace follows
        pass
    return header


def _skip_value(events: Iterator[tuple[str, Any]]) -> None:
    event, _value = next(events)
    if event not in _STARTS:
        return
    depth = 1
    for event, _value in events:
        if event in _STARTS:
            depth += 1
        elif event in _ENDS:
            depth -= 1
            if depth == 0:
                return
    raise ijson.IncompleteJSONError("premature EOF")


def _build_value(events: Iterator[tuple[str, Any]], budget: _Budget) -> Any:
    builder = ijson.ObjectBuilder()
    event, value = next(events)
    builder.event(event, value)
    budget.charge(value)
    if event not in _STARTS:
        return builder.value
    depth = 1
    for event, value in events:
        builder.event(event, value)
        budget.charge(value)
        if event in _STARTS:
            depth += 1
        elif event in _ENDS:
            depth -= 1
            if depth == 0:
                return builder.value
    raise ijson.IncompleteJSONError("premature EOF")


class _Budget:
    """Approximate size of the header being built, refused beyond ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def charge(self, value: Any) -> None:
        self.used += len(value) + 8 if isinstance(value, str) else 8
        if self.used > self.limit:
            raise InspectLogError(
                "The log's header (everything but the samples) is larger than the "
                f"{_human_size(self.limit)} allowed.",
                "too_large",
            )


class _NonFiniteFilter:
    """A binary stream over a JSON byte stream with bare ``NaN``/``Infinity`` made ``null``.

    Strings pass through untouched, also across chunk boundaries. The regular expressions do the
    scanning, so Python only steps in at a non-finite token, a string cut by a chunk boundary, or
    the end of a chunk.
    """

    # Text with no bare token in it: anything but quotes, N, I and -; whole strings; a minus sign
    # that does not start -Infinity. (Outside strings, N and I only start NaN and Infinity.)
    # Possessive quantifiers: no backtracking state, so memory stays flat over a whole chunk.
    _SAFE = re.compile(rb'(?:[^"NI\-]++|"[^"\\]*+(?:\\[\s\S][^"\\]*+)*+"|-(?!Infinity))*+')
    # The rest of a string cut by a chunk boundary, up to (not including) its closing quote.
    _STRING_REST = re.compile(rb'[^"\\]*+(?:\\[\s\S][^"\\]*+)*+')
    _TOKENS = (b"NaN", b"Infinity", b"-Infinity")
    _LONGEST = len(b"-Infinity")

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._in_string = False
        self._carry = b""
        self._out = bytearray()
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        while not self._eof and (size < 0 or len(self._out) < size):
            chunk = self._raw.read(_CHUNK)
            self._eof = not chunk
            self._transform(self._carry + chunk, final=self._eof)
        if size < 0 or size >= len(self._out):
            data, self._out = bytes(self._out), bytearray()
        else:
            data = bytes(self._out[:size])
            del self._out[:size]
        return data

    def _transform(self, buf: bytes, final: bool) -> None:
        out, i, n = self._out, 0, len(buf)
        self._carry = b""
        while i < n:
            if self._in_string:
                j = self._STRING_REST.match(buf, i).end()
                if j < n and buf[j] == 0x22:  # the closing quote
                    out += buf[i : j + 1]
                    self._in_string = False
                    i = j + 1
                    continue
                if j < n and not final:  # a backslash whose escaped byte comes next chunk
                    out += buf[i:j]
                    self._carry = buf[j:]
                else:
                    out += buf[i:]
                return
            j = self._SAFE.match(buf, i).end()
            if j == n:
                if not final and buf.endswith(b"-"):  # perhaps the start of -Infinity
                    out += buf[i : n - 1]
                    self._carry = b"-"
                else:
                    out += buf[i:]
                return
            token = next((t for t in self._TOKENS if buf.startswith(t, j)), None)
            if token is not None:
                out += buf[i:j]
                out += b"null"
                i = j + len(token)
            elif buf[j] == 0x22:  # a string that goes on in the next chunk
                out += buf[i:j]
                self._in_string = True
                out += b'"'
                i = j + 1
            elif not final and n - j < self._LONGEST:  # perhaps a token cut by the chunk end
                if j > i and buf[j - 1] == 0x2D:  # keep a minus sign with its Infinity
                    j -= 1
                out += buf[i:j]
                self._carry = buf[j:]
                return
            else:  # not JSON: pass it on for the parser to reject
                out += buf[i : j + 1]
                i = j + 1


# --------------------------------------------------------------------------------------------
# Header -> InspectRun


def _build_run(header: Any, *, fmt: str, sha256: str, file_name: str, file_size: int) -> InspectRun:
    if not isinstance(header, dict):
        raise InspectLogError(
            "This file is not an Inspect log: its header is not a JSON object.", "not_inspect_log"
        )
    header = _clean(header)
    spec = header.get("eval")
    if not isinstance(spec, dict):
        raise InspectLogError(
            "This JSON document is not an Inspect evaluation log (it has no 'eval' section).",
            "not_inspect_log",
        )
    missing = [key for key in ("run_id", "task", "model") if not _text(spec.get(key))]
    if missing:
        raise InspectLogError(
            "This JSON document is not an Inspect evaluation log (its 'eval' section has no "
            f"{', '.join(missing)}).",
            "not_inspect_log",
        )
    version = header.get("version")
    if not _is_int(version) or version not in SUPPORTED_LOG_VERSIONS:
        shown = "none" if version is None else repr(version)
        raise InspectLogError(
            f"This Inspect log uses log format version {shown}, which cannot be imported "
            f"(supported: {', '.join(map(str, SUPPORTED_LOG_VERSIONS))}). Convert it with a "
            "current Inspect ('inspect log convert') and upload it again.",
            "unsupported_version",
        )
    status = header.get("status")
    if status not in RUN_STATUSES:
        raise InspectLogError(
            f"This Inspect log has an unknown run status ({status!r}).", "not_inspect_log"
        )

    packages = _dict(spec.get("packages"))
    dataset = _dict(spec.get("dataset"))
    config = _dict(spec.get("config"))
    plan = _dict(header.get("plan"))
    results = _dict(header.get("results"))
    stats = _dict(header.get("stats"))
    error = _dict(header.get("error"))
    token_usage = _token_usage(stats.get("model_usage"))
    generate_config = _dict(plan.get("config")) or _dict(spec.get("model_generate_config"))
    task_version = spec.get("task_version")
    tags = [t for t in _list(spec.get("tags")) + _list(header.get("tags")) if _text(t)]
    return InspectRun(
        format=fmt,
        sha256=sha256,
        file_name=file_name,
        file_size=file_size,
        log_version=version,
        status=status,
        invalidated=header.get("invalidated") is True,
        inspect_version=_text(packages.get("inspect_ai")),
        run_id=spec["run_id"],
        eval_id=_text(spec.get("eval_id")),
        task_id=_text(spec.get("task_id")),
        eval_set_id=_text(spec.get("eval_set_id")),
        task=spec["task"],
        task_registry_name=_text(spec.get("task_registry_name")),
        task_display_name=_text(spec.get("task_display_name")),
        task_version=task_version if _is_int(task_version) or _text(task_version) else None,
        model=spec["model"],
        model_roles=_dict(spec.get("model_roles")),
        dataset_name=_text(dataset.get("name")),
        dataset_samples=_int(dataset.get("samples")),
        created=_datetime(spec.get("created")),
        started_at=_datetime(stats.get("started_at")),
        completed_at=_datetime(stats.get("completed_at")),
        total_samples=_int(results.get("total_samples")),
        completed_samples=_int(results.get("completed_samples")),
        epochs=_int(config.get("epochs")),
        limits={k: config[k] for k in LIMIT_KEYS if config.get(k) is not None},
        solver_steps=[
            step["solver"]
            for step in _list(plan.get("steps"))
            if isinstance(step, dict) and _text(step.get("solver"))
        ],
        generate_config={k: v for k, v in generate_config.items() if v is not None},
        token_usage=token_usage,
        total_tokens=sum(
            u.get("total_tokens", u.get("input_tokens", 0) + u.get("output_tokens", 0))
            for u in token_usage.values()
        ),
        metrics=_metrics(results),
        error_message=_text(error.get("message")),
        tags=list(dict.fromkeys(tags)),
        raw_header={k: v for k, v in header.items() if k not in _SKIPPED_JSON_KEYS},
    )


def _metrics(results: dict) -> list[MetricValue]:
    scores = results.get("scores")
    if scores is None and isinstance(results.get("scorer"), dict):  # log format version 1
        scores = [{**results["scorer"], "metrics": results.get("metrics") or {}}]
    rows = []
    for score in _list(scores):
        if not isinstance(score, dict):
            continue
        metrics = score.get("metrics")
        if isinstance(metrics, list):
            metrics = {m.get("name"): m for m in metrics if isinstance(m, dict)}
        metrics = _dict(metrics)
        stderr = _metric_number(metrics.get("stderr"))
        scorer = _text(score.get("name")) or _text(score.get("scorer")) or ""
        for name, entry in metrics.items():
            if name == "stderr" or not _text(name):
                continue
            rows.append(
                MetricValue(
                    scorer=scorer,
                    metric=name,
                    value=_metric_number(entry),
                    stderr=stderr,
                    reducer=_text(score.get("reducer")),
                    scored_samples=_int(score.get("scored_samples")),
                )
            )
    return rows


def _metric_number(entry: Any) -> float | None:
    value = entry.get("value") if isinstance(entry, dict) else entry
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = float(value)
        return value if math.isfinite(value) else None
    return None


def _token_usage(usage: Any) -> dict[str, dict[str, int]]:
    return {
        model: {k: v for k, v in counts.items() if _is_int(v)}
        for model, counts in _dict(usage).items()
        if isinstance(counts, dict)
    }


def _clean(value: Any) -> Any:
    """Strict-JSON copy: Decimal -> float, NaN/Infinity -> None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: Any) -> int | None:
    return value if _is_int(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _datetime(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (naive ones are taken as UTC)."""
    if not _text(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
