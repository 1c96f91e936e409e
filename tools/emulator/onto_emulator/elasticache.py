"""ElastiCache."""

from moto.elasticache import exceptions, models, responses
from moto.core.responses import ActionResult


def install() -> None:
    _replicas_from_num_cache_clusters()
    _deletion_completes()
    _subnet_group_deletion()


def _replicas_from_num_cache_clusters() -> None:
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


def _deletion_completes() -> None:
    delete = models.ElastiCacheBackend.delete_replication_group
    describe = models.ElastiCacheBackend.describe_replication_groups

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        """DeleteReplicationGroup: the group enters `deleting`, and once AWS
        has deleted it DescribeReplicationGroups answers
        ReplicationGroupNotFoundFault. moto 5.2.5 leaves it `deleting`
        forever; here it is gone for the next describe. A group already
        deleting is refused with InvalidReplicationGroupState, as AWS does."""
        group = self.replication_groups.get(replication_group_id)
        if group is not None and group.status == "deleting":
            raise _InvalidState(f"Replication group {replication_group_id} is already being deleted.")
        return delete(self, replication_group_id, retain_primary_cluster)

    def describe_replication_groups(self, replication_group_id=None):
        for gid, group in list(self.replication_groups.items()):
            if group.status == "deleting":
                del self.replication_groups[gid]
        return describe(self, replication_group_id)

    models.ElastiCacheBackend.delete_replication_group = delete_replication_group
    models.ElastiCacheBackend.describe_replication_groups = describe_replication_groups


def _subnet_group_deletion() -> None:
    def delete_cache_subnet_group(self, cache_subnet_group_name):
        """DeleteCacheSubnetGroup: deletes a subnet group no cluster uses;
        an unknown name is CacheSubnetGroupNotFoundFault, one in use
        CacheSubnetGroupInUse. moto 5.2.5 does not have this operation."""
        if cache_subnet_group_name not in self.cache_subnet_groups:
            raise exceptions.CacheSubnetGroupNotFound(cache_subnet_group_name)
        in_use = any(
            getattr(g, "cache_subnet_group_name", None) == cache_subnet_group_name
            for g in self.replication_groups.values()
            if g.status != "deleting"
        )
        if in_use:
            raise _InUse(cache_subnet_group_name)
        return self.cache_subnet_groups.pop(cache_subnet_group_name)

    def delete_cache_subnet_group_response(self):
        self.elasticache_backend.delete_cache_subnet_group(
            cache_subnet_group_name=self._get_param("CacheSubnetGroupName")
        )
        return ActionResult({})

    models.ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    responses.ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group_response


class _InUse(exceptions.ElastiCacheException):
    code = "CacheSubnetGroupInUse"

    def __init__(self, name):
        super().__init__(f"Cache subnet group {name} is currently in use by a cluster.")


class _InvalidState(exceptions.ElastiCacheException):
    code = "InvalidReplicationGroupState"
