import boto3
import pytest
from botocore.exceptions import ClientError

from onto_emulator import clock


def _group(ec, name="sessions", **kw):
    args = dict(
        ReplicationGroupId=name,
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
    )
    args.update(kw)
    return ec.create_replication_group(**args)["ReplicationGroup"]


def _describe(ec, name="sessions"):
    return ec.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]


def _code(e):
    return e.value.response["Error"]["Code"]


def test_num_cache_clusters_sets_the_replicas_of_a_cluster_mode_disabled_group(aws):
    ec = boto3.client("elasticache", "eu-west-1")
    assert len(_group(ec, NumCacheClusters=3)["MemberClusters"]) == 3
    assert len(_group(ec, "alone", NumCacheClusters=1)["MemberClusters"]) == 1


def test_a_group_is_creating_then_available_and_its_nodes_are_clusters(aws):
    ec = boto3.client("elasticache", "eu-west-1")
    assert _group(ec, NumCacheClusters=2)["Status"] == "creating"
    clock.advance(481)
    assert _describe(ec)["Status"] == "available"
    nodes = ec.describe_cache_clusters()["CacheClusters"]
    assert [n["CacheClusterId"] for n in nodes] == ["sessions-001", "sessions-002"]
    node = ec.describe_cache_clusters(CacheClusterId="sessions-001")["CacheClusters"][0]
    assert (node["Engine"], node["EngineVersion"], node["ReplicationGroupId"]) == ("redis", "7.1", "sessions")
    assert node["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"
    with pytest.raises(ClientError) as e:
        ec.describe_cache_clusters(CacheClusterId="sessions-009")
    assert _code(e) == "CacheClusterNotFound"


def test_a_deleted_group_is_deleting_then_gone(aws, settle):
    ec = boto3.client("elasticache", "eu-west-1")
    _group(ec)
    with pytest.raises(ClientError) as e:
        ec.delete_replication_group(ReplicationGroupId="sessions")
    assert _code(e) == "InvalidReplicationGroupState", "a group being created cannot be deleted"
    settle()
    assert ec.delete_replication_group(ReplicationGroupId="sessions")["ReplicationGroup"]["Status"] == "deleting"
    assert _describe(ec)["Status"] == "deleting"
    settle()
    with pytest.raises(ClientError) as e:
        _describe(ec)
    assert _code(e) == "ReplicationGroupNotFoundFault"


def test_a_group_elasticache_cannot_bring_up_ends_create_failed_and_can_be_deleted(aws, settle):
    from onto_emulator import elasticache as emulated

    ec = boto3.client("elasticache", "eu-west-1")
    emulated.CREATE_OUTCOME["sessions"] = "create-failed"
    try:
        _group(ec)
        settle()
        assert _describe(ec)["Status"] == "create-failed"
        assert ec.delete_replication_group(ReplicationGroupId="sessions")["ReplicationGroup"]["Status"] == "deleting"
    finally:
        emulated.CREATE_OUTCOME.clear()


def test_subnet_groups_are_deleted_once_unused_and_can_change_subnets(vpc, settle):
    _, subnets = vpc
    ec = boto3.client("elasticache", "eu-west-1")
    ec.create_cache_subnet_group(CacheSubnetGroupName="cache", CacheSubnetGroupDescription="d", SubnetIds=subnets[:2])
    ec.modify_cache_subnet_group(CacheSubnetGroupName="cache", SubnetIds=subnets)
    group = ec.describe_cache_subnet_groups(CacheSubnetGroupName="cache")["CacheSubnetGroups"][0]
    assert len(group["Subnets"]) == 3
    _group(ec, CacheSubnetGroupName="cache")
    settle()
    with pytest.raises(ClientError) as e:
        ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")
    assert _code(e) == "CacheSubnetGroupInUse"
    ec.delete_replication_group(ReplicationGroupId="sessions")
    with pytest.raises(ClientError) as e:
        ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")
    assert _code(e) == "CacheSubnetGroupInUse", "still in use while the group is deleting"
    settle()
    ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")
    with pytest.raises(ClientError) as e:
        ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")
    assert _code(e) == "CacheSubnetGroupNotFoundFault"


def test_replicas_are_added_and_removed_while_modifying(aws, settle):
    ec = boto3.client("elasticache", "eu-west-1")
    _group(ec, NumCacheClusters=1)
    settle()
    with pytest.raises(ClientError) as e:
        ec.increase_replica_count(ReplicationGroupId="sessions", NewReplicaCount=2, ApplyImmediately=False)
    assert _code(e) == "InvalidParameterValue"
    out = ec.increase_replica_count(ReplicationGroupId="sessions", NewReplicaCount=2, ApplyImmediately=True)
    assert out["ReplicationGroup"]["Status"] == "modifying"
    settle()
    assert _describe(ec)["MemberClusters"] == ["sessions-001", "sessions-002", "sessions-003"]
    ec.modify_replication_group(ReplicationGroupId="sessions", AutomaticFailoverEnabled=True, ApplyImmediately=True)
    settle()
    with pytest.raises(ClientError) as e:
        ec.decrease_replica_count(ReplicationGroupId="sessions", NewReplicaCount=0, ApplyImmediately=True)
    assert _code(e) == "InvalidParameterCombination", "failover needs a replica"
    ec.decrease_replica_count(ReplicationGroupId="sessions", NewReplicaCount=1, ApplyImmediately=True)
    settle()
    assert _describe(ec)["MemberClusters"] == ["sessions-001", "sessions-002"]


def test_redis_moves_to_valkey_and_never_back(aws, settle):
    ec = boto3.client("elasticache", "eu-west-1")
    _group(ec, EngineVersion="7.1")
    settle()
    with pytest.raises(ClientError) as e:
        ec.modify_replication_group(ReplicationGroupId="sessions", EngineVersion="6.2", ApplyImmediately=True)
    assert _code(e) == "InvalidParameterCombination", "no downgrade"
    out = ec.modify_replication_group(
        ReplicationGroupId="sessions", Engine="valkey", EngineVersion="8.0", ApplyImmediately=True
    )
    assert out["ReplicationGroup"]["Status"] == "modifying"
    settle()
    node = ec.describe_cache_clusters(CacheClusterId="sessions-001")["CacheClusters"][0]
    assert (node["Engine"], node["EngineVersion"]) == ("valkey", "8.0")
    assert node["CacheParameterGroup"]["CacheParameterGroupName"] == "default.valkey8"
    with pytest.raises(ClientError) as e:
        ec.modify_replication_group(ReplicationGroupId="sessions", Engine="redis", ApplyImmediately=True)
    assert _code(e) == "InvalidParameterCombination"


def test_node_type_changes_wait_for_the_window_unless_applied_immediately(aws, settle):
    from onto_emulator import elasticache

    ec = boto3.client("elasticache", "eu-west-1")
    _group(ec)
    settle()
    ec.modify_replication_group(ReplicationGroupId="sessions", CacheNodeType="cache.t4g.small")
    assert _describe(ec)["CacheNodeType"] == "cache.t4g.micro"
    node = ec.describe_cache_clusters(CacheClusterId="sessions-001")["CacheClusters"][0]
    assert node["PendingModifiedValues"] == {"CacheNodeType": "cache.t4g.small"}
    assert elasticache.maintenance_window() == ["sessions"]
    settle()
    assert _describe(ec)["CacheNodeType"] == "cache.t4g.small"
    node = ec.describe_cache_clusters(CacheClusterId="sessions-001")["CacheClusters"][0]
    assert not node.get("PendingModifiedValues")


def test_auth_tokens_need_in_transit_encryption_and_can_be_deleted(aws, settle):
    ec = boto3.client("elasticache", "eu-west-1")
    _group(ec)
    settle()
    with pytest.raises(ClientError) as e:
        ec.modify_replication_group(
            ReplicationGroupId="sessions", AuthToken="a" * 32, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
        )
    assert _code(e) == "InvalidParameterCombination"
    _group(ec, "secure", TransitEncryptionEnabled=True, AuthToken="b" * 32)
    settle()
    assert _describe(ec, "secure")["AuthTokenEnabled"] is True
    ec.modify_replication_group(ReplicationGroupId="secure", AuthTokenUpdateStrategy="DELETE", ApplyImmediately=True)
    settle()
    assert _describe(ec, "secure")["AuthTokenEnabled"] is False


def test_parameter_groups(aws, settle):
    ec = boto3.client("elasticache", "eu-west-1")
    ec.create_cache_parameter_group(
        CacheParameterGroupName="sessions-redis7", CacheParameterGroupFamily="redis7", Description="d",
        Tags=[{"Key": "onto:owner", "Value": "onto_cache/sessions"}],
    )
    with pytest.raises(ClientError) as e:
        ec.create_cache_parameter_group(CacheParameterGroupName="sessions-redis7", CacheParameterGroupFamily="redis7", Description="d")
    assert _code(e) == "CacheParameterGroupAlreadyExists"
    group = ec.describe_cache_parameter_groups(CacheParameterGroupName="sessions-redis7")["CacheParameterGroups"][0]
    tags = ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]
    assert tags == [{"Key": "onto:owner", "Value": "onto_cache/sessions"}]
    assert ec.describe_cache_parameters(CacheParameterGroupName="sessions-redis7", Source="user")["Parameters"] == []
    with pytest.raises(ClientError) as e:
        ec.modify_cache_parameter_group(
            CacheParameterGroupName="sessions-redis7",
            ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "sometimes"}],
        )
    assert _code(e) == "InvalidParameterValue"
    ec.modify_cache_parameter_group(
        CacheParameterGroupName="sessions-redis7",
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
    )
    user = ec.describe_cache_parameters(CacheParameterGroupName="sessions-redis7", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"]) for p in user] == [("maxmemory-policy", "allkeys-lru")]
    _group(ec, CacheParameterGroupName="sessions-redis7")
    settle()
    with pytest.raises(ClientError) as e:
        ec.delete_cache_parameter_group(CacheParameterGroupName="sessions-redis7")
    assert _code(e) == "InvalidCacheParameterGroupState"
    ec.reset_cache_parameter_group(
        CacheParameterGroupName="sessions-redis7", ParameterNameValues=[{"ParameterName": "maxmemory-policy"}]
    )
    assert ec.describe_cache_parameters(CacheParameterGroupName="sessions-redis7", Source="user")["Parameters"] == []
    ec.delete_replication_group(ReplicationGroupId="sessions")
    settle()
    ec.delete_cache_parameter_group(CacheParameterGroupName="sessions-redis7")
    with pytest.raises(ClientError) as e:
        ec.describe_cache_parameter_groups(CacheParameterGroupName="sessions-redis7")
    assert _code(e) == "CacheParameterGroupNotFound"
