"""Schemathesis hooks of the cookie run: log in as a real account, send the session cookie and its
CSRF header, and log in again whenever the API answers 401 (the fuzzer logs itself out, ends its
own sessions, deactivates or schedules the deletion of its account: logging in undoes both). Loaded
by `st run` through SCHEMATHESIS_HOOKS; the runner passes the server and the account in
VF_FUZZ_BASE_URL, VF_FUZZ_LOGIN and VF_FUZZ_PASSWORD.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import schemathesis

SESSION_COOKIE = "vf_session"
CSRF_HEADER = "x-csrf-token"


@schemathesis.auth(refresh_interval=600)  # and at once after a 401 (schemathesis' retry_on)
class SessionCookie:
    """A fresh session of the run's account: (session cookie, CSRF token)."""

    def get(self, case: Any, context: Any) -> tuple[str, str]:
        url = os.environ["VF_FUZZ_BASE_URL"] + "/api/viewfinder/v1/accounts/login"
        credentials = {"login": os.environ["VF_FUZZ_LOGIN"], "password": os.environ["VF_FUZZ_PASSWORD"]}
        response = httpx.post(url, json=credentials, timeout=30)
        if response.status_code == 409:  # the fuzzer asked for the account's deletion: take it back
            response = httpx.post(url, json={**credentials, "cancel_deletion": True}, timeout=30)
        response.raise_for_status()
        return response.cookies[SESSION_COOKIE], response.json()["csrf_token"]

    def set(self, case: Any, data: tuple[str, str], context: Any) -> None:
        session, csrf = data
        case.cookies[SESSION_COOKIE] = session
        case.headers[CSRF_HEADER] = csrf
