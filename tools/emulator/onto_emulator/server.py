"""The emulator's HTTP front: what runs around moto's request handling.

- Emulated time advances before every request (`clock.tick`), in server
  mode and in-process alike (moto's `BaseResponse.call_action`).
- `ONTO_EMULATOR_LATENCY_MS` adds that much latency to every AWS call.
- AWS calls are counted per operation (`service:Operation`).
- Requests in the Smithy RPC v2 CBOR protocol (CloudWatch, as the current
  AWS SDKs call it) go to `cloudwatch.handle_cbor`.
- `/onto-emulator/...` is the control API tests and benchmarks use; it is
  not AWS and is never counted.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import time
from collections import Counter
from urllib.parse import parse_qs

from . import clock, control

LATENCY = float(os.environ.get("ONTO_EMULATOR_LATENCY_MS", "0") or 0) / 1000.0

_calls_lock = threading.Lock()
CALLS: Counter[str] = Counter()

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def _service(environ: dict) -> str:
    m = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return m.group(1) if m else "unsigned"


# SigV4 signing names that differ from the SDKs' service names.
_MODELS = {"aps": "amp", "monitoring": "cloudwatch", "email": "ses"}


def _operation(environ: dict, service: str) -> str:
    """The AWS operation of a request: from X-Amz-Target (JSON protocols),
    the Action parameter (query protocol; the body is read and put back),
    the CBOR path, or the service's REST routes."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    if "/operation/" in path:
        return path.rsplit("/", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        environ["wsgi.input"] = io.BytesIO(body)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    try:
        from moto.core.routing import get_service_router
        from moto.core.request import Request

        operation, _ = get_service_router(_MODELS.get(service, service)).match(Request(environ))
        return operation.name
    except Exception:  # an unknown route is counted by method
        return environ.get("REQUEST_METHOD", "?")


def install() -> None:
    from moto.core import responses
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    call_action = responses.BaseResponse.call_action

    def ticking_call_action(self):
        clock.tick()
        return call_action(self)

    responses.BaseResponse.call_action = ticking_call_action

    dispatch = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/onto-emulator/"):
            return control.handle(environ, start_response)
        if path.startswith("/moto-api"):
            return dispatch(self, environ, start_response)
        service = _service(environ)
        operation = f"{service}:{_operation(environ, service)}"
        with _calls_lock:
            CALLS[operation] += 1
        if LATENCY:
            time.sleep(LATENCY)
        clock.tick()
        if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
            from . import cloudwatch

            return cloudwatch.handle_cbor(environ, start_response)
        return dispatch(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__


def calls() -> dict:
    with _calls_lock:
        by_service: Counter[str] = Counter()
        for op, n in CALLS.items():
            by_service[op.split(":", 1)[0]] += n
        return {
            "total": sum(CALLS.values()),
            "by_service": dict(sorted(by_service.items())),
            "by_operation": dict(sorted(CALLS.items())),
        }


def clear_calls() -> None:
    with _calls_lock:
        CALLS.clear()


def json_response(start_response, status: str, body: object):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
