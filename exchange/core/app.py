"""The Flask application class: Flask with addresses built once per process.

A page calls ``url_for`` some 35 times (the layout's links, the static files, the page's tabs),
and each call walks Werkzeug's rules, converters and quoting: 10-25 µs, about a tenth of a wiki
page view. An address depends only on what ``url_for`` is given and on the request's URL
adapter (host, script root, scheme, subdomain), so the result is kept under exactly those, for
requests (outside a request, e.g. e-mails in the CLI, nothing is kept).
"""

from __future__ import annotations

from flask import Flask
from flask.globals import _cv_request

URL_CACHE_SIZE = 8192
SYNC_CACHE_SIZE = 1024


class Exchange(Flask):
    """Flask, with ``url_for`` answered from a per-process table of built addresses.

    The key holds every input of the address: the endpoint (made absolute with the request's
    blueprint for ``.name``), the arguments in their order (the query string keeps it) with their
    types (``page=1`` and ``page=True`` build different addresses although ``1 == True``),
    ``_anchor``, ``_method``, ``_scheme``, ``_external``, and the host, script root, scheme and
    subdomain the request's URL adapter builds with. Nothing a reader may or may not see goes
    into an address that is not in the key. Addresses that fail to build are never kept, and
    apps with ``url_defaults`` functions (which may read the request) are not cached at all.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._url_cache: dict[tuple, str] = {}
        self._sync_cache: dict = {}

    def ensure_sync(self, func):
        """Flask's ``ensure_sync``, remembered per function.

        Flask asks it for every hook and view of every request (about a dozen times), and each
        answer inspects the function (``inspect.iscoroutinefunction``, unwrapping partials and
        methods): the answer for a given function object does not change. Hooks, views and
        error handlers are the same objects from one request to the next; the table is bounded
        in case some caller passes new objects.
        """
        try:
            return self._sync_cache[func]
        except KeyError:
            pass
        except TypeError:  # not hashable
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if len(self._sync_cache) < SYNC_CACHE_SIZE:
            self._sync_cache[func] = synced
        return synced

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values,
    ) -> str:
        req_ctx = _cv_request.get(None)
        if req_ctx is None or self.url_default_functions:
            return self._build_url(endpoint, _anchor, _method, _scheme, _external, values)
        adapter = req_ctx.url_adapter
        if endpoint[:1] == ".":
            blueprint = req_ctx.request.blueprint
            endpoint = f"{blueprint}{endpoint}" if blueprint is not None else endpoint[1:]
        try:
            key = (
                endpoint,
                _anchor,
                _method,
                _scheme,
                _external,
                adapter.server_name,
                adapter.script_name,
                adapter.url_scheme,
                adapter.subdomain,
                *[(name, type(value), value) for name, value in values.items()],
            )
            url = self._url_cache.get(key)
        except TypeError:  # an unhashable argument (a list of values): build it every time
            return self._build_url(endpoint, _anchor, _method, _scheme, _external, values)
        if url is None:
            url = self._build_url(endpoint, _anchor, _method, _scheme, _external, values)
            if len(self._url_cache) >= URL_CACHE_SIZE:
                self._url_cache.clear()
            self._url_cache[key] = url
        return url

    def _build_url(self, endpoint, _anchor, _method, _scheme, _external, values) -> str:
        return super().url_for(
            endpoint,
            _anchor=_anchor,
            _method=_method,
            _scheme=_scheme,
            _external=_external,
            **values,
        )
