"""Through the emulator's HTTP server: the CBOR protocol, the control API
and call counting."""

import json
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3

from onto_emulator import rds as emulated_rds


def _client(service, endpoint, region="eu-west-1"):
    return boto3.client(service, region, endpoint_url=endpoint)


def _control(endpoint, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{endpoint}/onto-emulator/{path}", data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def _db(rds, name, **kw):
    return rds.create_db_instance(
        DBInstanceIdentifier=name, DBInstanceClass="db.t4g.micro", Engine="postgres", EngineVersion="16.4",
        MasterUsername="onto", MasterUserPassword="correct-horse-battery", AllocatedStorage=20, **kw,
    )["DBInstance"]


def _cbor_statistics(endpoint, region, **request):
    """GetMetricStatistics as the Rust SDK sends it: RPC v2 CBOR."""
    import cbor2

    body = cbor2.dumps(request, datetime_as_timestamp=True)
    req = urllib.request.Request(
        f"{endpoint}/service/GraniteServiceVersion20100801/operation/GetMetricStatistics",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/cbor",
            "Accept": "application/cbor",
            "smithy-protocol": "rpc-v2-cbor",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20261201/{region}/monitoring/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(req) as r:
        assert r.headers["smithy-protocol"] == "rpc-v2-cbor"
        return cbor2.loads(r.read())


def test_replicas_report_their_lag_in_both_cloudwatch_protocols(endpoint):
    cw = _client("cloudwatch", endpoint, "eu-central-1")
    primary, dr = _client("rds", endpoint), _client("rds", endpoint, "eu-central-1")
    source = _db(primary, "editor")
    _control(endpoint, "advance", {"seconds": 3600})
    dr.create_db_instance_read_replica(DBInstanceIdentifier="editor-dr", SourceDBInstanceIdentifier=source["DBInstanceArn"])
    now = datetime.now(timezone.utc)
    request = dict(
        Namespace="AWS/RDS", MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "editor-dr"}],
        StartTime=now - timedelta(minutes=5), EndTime=now, Period=60, Statistics=["Maximum"],
    )
    assert cw.get_metric_statistics(**request)["Datapoints"] == [], "no datapoints while the replica is created"
    assert _cbor_statistics(endpoint, "eu-central-1", **request)["Datapoints"] == []
    _control(endpoint, "advance", {"seconds": 3600})
    _control(endpoint, "rds/replica-lag", {"seconds": 42})
    points = cw.get_metric_statistics(**request)["Datapoints"]
    assert len(points) == 5 and {p["Maximum"] for p in points} == {42.0}
    points = _cbor_statistics(endpoint, "eu-central-1", **request)["Datapoints"]
    assert len(points) == 5 and {p["Maximum"] for p in points} == {42.0}
    assert points[0]["Unit"] == "Seconds"
    emulated_rds.REPLICA_LAG["seconds"] = 1.0


def test_the_control_api_reports_the_timeline_and_counts_calls(endpoint):
    _control(endpoint, "calls/clear", {})
    ec = _client("elasticache", endpoint)
    ec.create_replication_group(ReplicationGroupId="sessions", ReplicationGroupDescription="d", Engine="redis", CacheNodeType="cache.t4g.micro")
    assert ec.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]["Status"] == "creating"
    _control(endpoint, "advance", {"seconds": 480})
    assert ec.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]["Status"] == "available"
    calls = _control(endpoint, "calls")
    assert calls["by_service"] == {"elasticache": 3} and calls["total"] == 3
    assert calls["by_operation"] == {"elasticache:CreateReplicationGroup": 1, "elasticache:DescribeReplicationGroups": 2}
    eks = _client("eks", endpoint)
    _control(endpoint, "calls/clear", {})
    eks.list_clusters()
    assert _control(endpoint, "calls")["by_operation"] == {"eks:ListClusters": 1}
    timeline = _control(endpoint, "timeline")
    assert [e["id"] for e in timeline["entries"]] == ["eu-west-1/sessions"]
    assert timeline["critical_path"]["chain"] == ["create elasticache:replication-group/eu-west-1/sessions"]
