"""Puts a valid internal caller token on every request schemathesis sends.

The Rust test writes a fresh token to $ROUNDABOUT_CALLER_TOKEN_FILE every
few seconds (tokens live 60 seconds); this reads it at most 5 seconds
before use, and again after a 401.
"""

import os

import schemathesis


@schemathesis.auth(refresh_interval=5)
class CallerToken:
    def get(self, case, context):
        with open(os.environ["ROUNDABOUT_CALLER_TOKEN_FILE"], encoding="utf-8") as f:
            return f.read().strip()

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers[os.environ["ROUNDABOUT_CALLER_HEADER"]] = data
