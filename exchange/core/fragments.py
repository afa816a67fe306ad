"""Parts of the layout rendered once per process and kept under everything they depend on.

The site header alone costs a page some 30 template calls (a dozen addresses, a dozen
translations, the search box's macro), yet it depends only on the language, the section of
the site, the host the addresses are built for and, signed in, what the header shows of the
reader (name, demo badge, which menu entries, the unread count). A fragment is rendered once
for each such combination and kept; what differs on every request (the address the language
form returns to, the CSRF token, the search box's query) is left as a slot and filled in,
escaped, each time.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from flask import Flask
from flask.globals import _cv_request
from jinja2 import StrictUndefined
from markupsafe import Markup, escape

from exchange.core.i18n import current_locale

FRAGMENTS_KEPT = 4096
SLOT = "\x00"  # marks a slot in a rendered fragment: "\x00name\x00"
# What a fragment template must not read: anything of the request that is not in its key.
# These names are shadowed by undefined values that fail loudly when a fragment uses them.
PER_REQUEST_NAMES = (
    "request",
    "session",
    "g",
    "current_user",
    "csrf_token",
    "get_flashed_messages",
    "now",
    "unread_notifications",
)


class Fragments:
    """Rendered fragments of templates, per process.

    A fragment template sees only the values it is given, the slots, and the environment's
    globals that depend on nothing but the key: the translations (the locale is in the key) and
    ``url_for`` (the host, script root, scheme and subdomain of the request's URL adapter are in
    the key). The values are the rest of the key, so two readers share a fragment only when
    everything it shows of them is equal. Outside a request nothing is kept.
    """

    def __init__(self, app: Flask, size: int = FRAGMENTS_KEPT) -> None:
        self.app = app
        self.size = size
        self.kept: dict[tuple, tuple[str, ...]] = {}

    def render(
        self, template: str, values: Mapping[str, Hashable], slots: Mapping[str, str]
    ) -> Markup:
        """``template`` rendered with ``values``, its slots filled in with ``slots`` (escaped)."""
        ctx = _cv_request.get(None)
        if ctx is None or any(isinstance(v, str) and SLOT in v for v in values.values()):
            return self._render(template, values, slots)
        adapter = ctx.url_adapter
        key = (
            template,
            current_locale(),
            adapter.server_name,
            adapter.script_name,
            adapter.url_scheme,
            adapter.subdomain,
            *values.items(),
        )
        parts = self.kept.get(key)
        if parts is None:
            markers = {name: Markup(f"{SLOT}{name}{SLOT}") for name in slots}  # noqa: S704
            parts = tuple(self._render(template, values, markers).split(SLOT))
            if len(parts) % 2 == 0 or not all(name in slots for name in parts[1::2]):
                return self._render(template, values, slots)  # a stray marker: not kept
            if len(self.kept) >= self.size:
                self.kept.clear()
            self.kept[key] = parts
        if len(parts) == 1:
            return Markup(parts[0])  # noqa: S704 - rendered by an autoescaping template
        filled = list(parts)
        filled[1::2] = [escape(slots[name]) for name in parts[1::2]]
        return Markup("".join(filled))  # noqa: S704 - slots escaped above

    def _render(self, template: str, values, slots) -> Markup:
        hidden = {name: StrictUndefined(name=name) for name in PER_REQUEST_NAMES}
        text = self.app.jinja_env.get_template(template).render({**hidden, **values, **slots})
        return Markup(text)  # noqa: S704 - rendered by an autoescaping template
