"""The reference for the HTTP benchmark: the smallest Flask app, served like Exchange.

Its requests/s is the ceiling that Flask + gunicorn reach on the machine during the same run;
Exchange's figures are reported as a ratio to it (see bench/README.md).
"""

from flask import Flask

app = Flask(__name__)

HELLO_PAGE = "<!doctype html><title>hello</title><p>hello</p>"


@app.get("/")
def hello():
    """Answer with a short HTML page."""
    return HELLO_PAGE
