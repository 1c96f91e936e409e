"""ElastiCache."""

from moto.elasticache import models


def install() -> None:
    original = models.ReplicationGroup._set_node_members_clusters_disabled

    def set_node_members_clusters_disabled(
        self,
        member_clusters,
        replication_group_id,
        replication_group_domain,
        node_group,
        preferred_cache_cluster_azs,
        num_cache_clusters,
        replicas_per_node_group,
    ):
        """CreateReplicationGroup, cluster mode disabled: `NumCacheClusters`
        is "the number of clusters this replication group initially has"
        (primary plus replicas). moto 5.2.5 reads only
        `ReplicasPerNodeGroup` and makes a lone primary; the replica count
        follows `NumCacheClusters` when `ReplicasPerNodeGroup` is absent."""
        if not replicas_per_node_group and num_cache_clusters and num_cache_clusters > 1:
            replicas_per_node_group = num_cache_clusters - 1
        return original(
            self,
            member_clusters,
            replication_group_id,
            replication_group_domain,
            node_group,
            preferred_cache_cluster_azs,
            num_cache_clusters,
            replicas_per_node_group,
        )

    models.ReplicationGroup._set_node_members_clusters_disabled = set_node_members_clusters_disabled
