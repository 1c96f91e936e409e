"""CloudWatch: `AWS/RDS ReplicaLag` for read replicas, and the Smithy RPC
v2 CBOR protocol, which the current AWS SDKs (the Rust SDK among them)
use for CloudWatch and moto 5.2.5's server does not speak:
`POST /service/GraniteServiceVersion20100801/operation/<Op>` with a CBOR
body."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import cbor2
from moto.cloudwatch import exceptions, models
from moto.cloudwatch.models import cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import ServiceException

from . import rds

_PATH = re.compile(r"^/service/GraniteServiceVersion20100801/operation/(\w+)$")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")


def install() -> None:
    statistics = models.CloudWatchBackend.get_metric_statistics

    def get_metric_statistics(self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit=None):
        """GetMetricStatistics: RDS publishes `AWS/RDS ReplicaLag` (seconds)
        for every read replica once it replicates — here for replicas that
        are `available`, one datapoint per Period, valued as set through the
        control API (default 1 s). Other metrics: moto's own."""
        if (namespace, metric_name) == ("AWS/RDS", "ReplicaLag"):
            dims = {d["Name"]: d["Value"] for d in dimensions or []}
            return _replica_lag(self, dims.get("DBInstanceIdentifier"), _aware(start_time), _aware(end_time), period, stats)
        return statistics(self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit)

    models.CloudWatchBackend.get_metric_statistics = get_metric_statistics


class _Point:
    """One datapoint with the same value for every statistic."""

    def __init__(self, timestamp, value, stats):
        self.timestamp = timestamp
        self.unit = "Seconds"
        self.stats = stats
        for stat in ("SampleCount", "Average", "Sum", "Minimum", "Maximum"):
            setattr(self, _attr(stat), (1.0 if stat == "SampleCount" else value) if stat in stats else None)

    def get_statistics_for_type(self, stat):
        return getattr(self, _attr(stat), None)


def _attr(stat: str) -> str:
    return {"SampleCount": "sample_count"}.get(stat, stat.lower())


def _replica_lag(backend, ident, start, end, period, stats):
    if start >= end:
        raise exceptions.InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    replica = next(
        (db for db in rds.replicas_in(backend.account_id, backend.region_name) if db.db_instance_identifier == ident),
        None,
    )
    if replica is None or replica.status != "available":
        return []
    value = float(rds.REPLICA_LAG["seconds"])
    points, t = [], start
    while t + timedelta(seconds=period) <= end:
        points.append(_Point(t, value, stats))
        t += timedelta(seconds=period)
    return points


def _aware(t) -> datetime:
    if isinstance(t, (int, float)):
        return datetime.fromtimestamp(t, timezone.utc)
    if isinstance(t, str):
        t = datetime.fromisoformat(t.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


# ---- the CBOR protocol ---------------------------------------------------------


def _reply(start_response, status: str, body: dict):
    data = cbor2.dumps(body, datetime_as_timestamp=True)
    start_response(
        status,
        [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(data))),
            ("x-amzn-requestid", "onto-emulator"),
        ],
    )
    return [data]


def _fail(start_response, code: str, message: str, status: str = "400 Bad Request"):
    return _reply(start_response, status, {"__type": f"com.amazonaws.cloudwatch#{code}", "message": message})


def handle_cbor(environ: dict, start_response):
    """A CloudWatch call in RPC v2 CBOR; GetMetricStatistics is served (what
    onto calls), other operations answer UnknownOperationException."""
    m = _PATH.match(environ.get("PATH_INFO", ""))
    if not m:
        return _fail(start_response, "UnknownOperationException", "Not a CloudWatch RPC v2 path.", "404 Not Found")
    size = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(size) if size else b""
    try:
        request = cbor2.loads(raw) if raw else {}
    except Exception as e:  # malformed CBOR is the client's error
        return _fail(start_response, "SerializationException", f"Malformed CBOR body: {e}")
    if m.group(1) != "GetMetricStatistics":
        return _fail(start_response, "UnknownOperationException", f"{m.group(1)} is not emulated.")
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    backend = cloudwatch_backends[DEFAULT_ACCOUNT_ID][scope.group(1) if scope else "us-east-1"]
    stats = request.get("Statistics") or []
    try:
        points = backend.get_metric_statistics(
            request.get("Namespace"),
            request.get("MetricName"),
            _aware(request["StartTime"]),
            _aware(request["EndTime"]),
            int(request.get("Period") or 60),
            stats,
            request.get("Dimensions") or [],
            request.get("Unit"),
        )
    except ServiceException as e:
        return _fail(start_response, e.code, e.message)
    datapoints = []
    for p in points:
        point = {"Timestamp": _aware(p.timestamp)}
        for stat in stats:
            value = p.get_statistics_for_type(stat)
            if value is not None:
                point[stat] = float(value)
        if p.unit:
            point["Unit"] = p.unit
        datapoints.append(point)
    return _reply(start_response, "200 OK", {"Label": request.get("MetricName"), "Datapoints": datapoints})
