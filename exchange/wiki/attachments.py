"""Storing wiki attachments: allow-listed types, a size limit, content-addressed files."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from flask import current_app

# Extension -> the Content-Type we serve (never the one the browser sent).
DEFAULT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "md": "text/plain; charset=utf-8",
    "json": "application/json",
    "zip": "application/zip",
    "eval": "application/zip",
}
# Leading bytes a file of these types must start with (a renamed HTML file is refused).
MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "pdf": (b"%PDF-",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "eval": (b"PK\x03\x04",),
}


def allowed_types() -> dict[str, str]:
    configured = current_app.config.get("WIKI_ATTACHMENT_TYPES")
    if not configured:
        return DEFAULT_TYPES
    names = [n.strip().lower() for n in configured.split(",") if n.strip()]
    return {n: DEFAULT_TYPES[n] for n in names if n in DEFAULT_TYPES}


def clean_filename(name: str) -> str:
    """Keep a readable, safe file name: no path, no control characters, at most 150 chars."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"'<>:|?*]", "", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = re.sub(r"\s+", "-", stem)[:140] or "file"
    return f"{stem}.{ext.lower()}" if ext else stem


def extension(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


def content_matches(ext: str, head: bytes) -> bool:
    if ext == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    prefixes = MAGIC.get(ext)
    return prefixes is None or head.startswith(prefixes)


def storage_root() -> Path:
    return Path(
        current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads"
    )


def path_for(sha256: str) -> Path:
    return storage_root() / "wiki" / sha256[:2] / sha256


def store(data: bytes) -> str:
    """Write the bytes once under their SHA-256 and return it."""
    digest = hashlib.sha256(data).hexdigest()
    path = path_for(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(path)
    return digest
