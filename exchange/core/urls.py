"""Redirect-target validation for `next=` parameters."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a local path on this site, else None (no open redirects).

    Only absolute paths are accepted: no scheme, no host, no protocol-relative ``//host``,
    no backslashes (browsers read ``/\\host`` as ``//host``) and no control characters.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
