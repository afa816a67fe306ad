"""A separate app server for the tests of several processes: serves one app on loopback.

Usage: python app_server_process.py DATABASE_URL RATELIMIT_STORAGE_URI KEY_PREFIX INSTANCE_PATH

Prints the port it listens on (one line), then serves until terminated. Each process builds its
own app, as each gunicorn worker of each app server does.
"""

from __future__ import annotations

import sys

from werkzeug.serving import make_server

from exchange import create_app


def main(database_url: str, storage_uri: str, key_prefix: str, instance_path: str) -> None:
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": storage_uri,
            "RATELIMIT_KEY_PREFIX": key_prefix,
            "UPLOAD_FOLDER": f"{instance_path}/uploads",
            "SEARCH_INDEX_PATH": f"{instance_path}/search-index",
            "MAIL_BACKEND": "file",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:5])
