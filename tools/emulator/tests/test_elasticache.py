import boto3


def test_num_cache_clusters_sets_the_replicas_of_a_cluster_mode_disabled_group(aws):
    ec = boto3.client("elasticache", "eu-west-1")
    group = ec.create_replication_group(
        ReplicationGroupId="sessions",
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=3,
    )["ReplicationGroup"]
    assert len(group["MemberClusters"]) == 3
    one = ec.create_replication_group(
        ReplicationGroupId="alone",
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=1,
    )["ReplicationGroup"]
    assert len(one["MemberClusters"]) == 1


def _group(ec, name="sessions", **kw):
    return ec.create_replication_group(
        ReplicationGroupId=name,
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        **kw,
    )["ReplicationGroup"]


def test_a_deleted_group_is_deleting_then_gone(aws):
    import pytest
    from botocore.exceptions import ClientError

    ec = boto3.client("elasticache", "eu-west-1")
    _group(ec)
    assert ec.delete_replication_group(ReplicationGroupId="sessions")["ReplicationGroup"]["Status"] == "deleting"
    with pytest.raises(ClientError) as e:
        ec.describe_replication_groups(ReplicationGroupId="sessions")
    assert e.value.response["Error"]["Code"] == "ReplicationGroupNotFoundFault"


def test_subnet_groups_are_deleted_once_unused(vpc):
    import pytest
    from botocore.exceptions import ClientError

    _, subnets = vpc
    ec = boto3.client("elasticache", "eu-west-1")
    ec.create_cache_subnet_group(
        CacheSubnetGroupName="cache", CacheSubnetGroupDescription="d", SubnetIds=subnets
    )
    _group(ec, CacheSubnetGroupName="cache")
    with pytest.raises(ClientError) as e:
        ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")
    assert e.value.response["Error"]["Code"] == "CacheSubnetGroupInUse"
    ec.delete_replication_group(ReplicationGroupId="sessions")
    ec.describe_replication_groups()
    ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")
    with pytest.raises(ClientError) as e:
        ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")
    assert e.value.response["Error"]["Code"] == "CacheSubnetGroupNotFoundFault"
