"""The control API under `/onto-emulator/`: not AWS, but what a test or a
benchmark needs to make AWS's time and events happen on demand.

| Method and path | Body (JSON) | Effect |
|---|---|---|
| `GET  /onto-emulator/timeline[?owner=TAG]` | | timed changes (of the objects with that `onto:owner` tag), and their critical path |
| `POST /onto-emulator/timeline/clear` | | forget the timeline |
| `GET  /onto-emulator/calls` | | AWS calls per service and per operation since the last clear |
| `POST /onto-emulator/calls/clear` | | |
| `POST /onto-emulator/advance` | `{"seconds": N}` | N AWS seconds pass |
| `POST /onto-emulator/maintenance-window` | | every maintenance window arrives: held RDS and ElastiCache modifications are applied |
| `POST /onto-emulator/rds/replica-lag` | `{"seconds": N}` | the `ReplicaLag` every read replica reports |
| `POST /onto-emulator/rds/create-outcome` | `{"identifier": ID, "status": S}` | creates of instance ID end in status S (e.g. `incompatible-parameters`) instead of `available`; no `status` restores that |
| `POST /onto-emulator/elasticache/create-outcome` | `{"id": ID, "status": S}` | creates of replication group ID end in status S (`create-failed`) instead of `available`; no `status` restores that |
| `POST /onto-emulator/eks/addon-health` | `{"addon": NAME, "issues": [{"code": C, "message": M}]}` | add-ons of that name become DEGRADED with those issues (an empty list heals them) |
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from . import clock


def _body(environ: dict) -> dict:
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    raw = environ["wsgi.input"].read(size) if size else b""
    return json.loads(raw) if raw else {}


def handle(environ: dict, start_response):
    from . import eks, elasticache, rds, server

    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    try:
        body = _body(environ)
    except ValueError as e:
        return server.json_response(start_response, "400 Bad Request", {"error": f"bad JSON: {e}"})
    clock.tick()
    if (method, path) == ("GET", "/onto-emulator/timeline"):
        entries = clock.timeline()
        owner = parse_qs(environ.get("QUERY_STRING", "")).get("owner")
        if owner:
            entries = [e for e in entries if e["owner"] == owner[0]]
        seconds, chain = clock.critical_path(entries)
        out = {"scale": clock.SCALE, "entries": entries, "critical_path": {"seconds": seconds, "chain": chain}}
    elif (method, path) == ("POST", "/onto-emulator/timeline/clear"):
        clock.TIMELINE.clear()
        out = {}
    elif (method, path) == ("GET", "/onto-emulator/calls"):
        out = server.calls()
    elif (method, path) == ("POST", "/onto-emulator/calls/clear"):
        server.clear_calls()
        out = {}
    elif (method, path) == ("POST", "/onto-emulator/advance"):
        clock.advance(float(body.get("seconds", 0)))
        out = {}
    elif (method, path) == ("POST", "/onto-emulator/maintenance-window"):
        out = {"rds": rds.maintenance_window(), "elasticache": elasticache.maintenance_window()}
    elif (method, path) == ("POST", "/onto-emulator/rds/replica-lag"):
        rds.REPLICA_LAG["seconds"] = float(body.get("seconds", 0))
        out = {}
    elif (method, path) == ("POST", "/onto-emulator/rds/create-outcome"):
        ident = body.get("identifier", "")
        if body.get("status"):
            rds.CREATE_OUTCOME[ident] = body["status"]
        else:
            rds.CREATE_OUTCOME.pop(ident, None)
        out = {}
    elif (method, path) == ("POST", "/onto-emulator/elasticache/create-outcome"):
        ident = body.get("id", "")
        if body.get("status"):
            elasticache.CREATE_OUTCOME[ident] = body["status"]
        else:
            elasticache.CREATE_OUTCOME.pop(ident, None)
        out = {}
    elif (method, path) == ("POST", "/onto-emulator/eks/addon-health"):
        eks.set_addon_health(body.get("addon", ""), body.get("issues", []))
        out = {}
    else:
        return server.json_response(start_response, "404 Not Found", {"error": f"no {method} {path}"})
    return server.json_response(start_response, "200 OK", out)
