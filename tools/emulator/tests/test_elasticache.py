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
