"""ElastiCache: replication groups over time (create, modify, replica
counts, delete), their member clusters, cache parameter groups and subnet
group changes."""

from __future__ import annotations

import re

from moto.core.responses import ActionResult, PaginatedResult
from moto.core.utils import utcnow
from moto.elasticache import exceptions, models, responses
from moto.elasticache.models import elasticache_backends

from . import clock

# AWS-like durations, in AWS seconds.
CREATE = [("creating", 480)]
MODIFY = [("modifying", 180)]
RESIZE = [("modifying", 600)]
REPLICAS = [("modifying", 360)]
DELETE = [("deleting", 300)]

# Replication group id -> the status its creates end in instead of
# `available` (`create-failed`: ElastiCache could not bring it up).
CREATE_OUTCOME: dict[str, str] = {}

DEFAULT_VERSION = {"redis": "7.1", "valkey": "8.0"}

# What a modification changes only when it completes.
LATER = {"engine", "engine_version", "cache_node_type", "auth_token_enabled", "auth_token_last_modified_date"}

# A cache parameter group family's parameters and defaults (a subset of
# AWS's: the ones a platform team tunes).
PARAMETERS = {
    "maxmemory-policy": ("volatile-lru", "string", "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction"),
    "maxmemory-samples": ("3", "integer", "1-"),
    "timeout": ("0", "integer", "0,20-"),
    "tcp-keepalive": ("300", "integer", "0-"),
    "notify-keyspace-events": ("", "string", None),
    "activedefrag": ("no", "string", "yes,no"),
    "lazyfree-lazy-eviction": ("no", "string", "yes,no"),
    "slowlog-log-slower-than": ("10000", "integer", "-"),
    "slowlog-max-len": ("128", "integer", "0-"),
    "reserved-memory-percent": ("25", "integer", "0-100"),
    "cluster-enabled": ("no", "string", "yes,no"),
}
FAMILIES = ("redis6.x", "redis7", "valkey7", "valkey8")


_ERRORS: dict[str, type] = {}


def _error(code: str, message: str) -> exceptions.ElastiCacheException:
    """An ElastiCache error with AWS's error code (moto serializes errors
    by the service their class belongs to)."""
    if code not in _ERRORS:
        _ERRORS[code] = type(code, (exceptions.ElastiCacheException,), {"code": code})
    return _ERRORS[code](message)


def _tag(tags, key):
    for t in tags or []:
        if t.get("Key") == key:
            return t.get("Value")
    return None


def _ident(backend, group_id):
    return f"{backend.region_name}/{group_id}"


def install() -> None:
    _replicas_from_num_cache_clusters()
    _groups_over_time()
    _member_clusters()
    _modification()
    _replica_counts()
    _parameter_groups()
    _subnet_groups()


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


def _groups_over_time() -> None:
    create = models.ElastiCacheBackend.create_replication_group
    delete = models.ElastiCacheBackend.delete_replication_group

    def create_replication_group(self, *args, **kwargs):
        """CreateReplicationGroup: the group is `creating` for minutes, then
        `available`; its engine version defaults to the engine's current
        one, its parameter group to the family's default group. A group
        ElastiCache cannot bring up ends `create-failed` instead (set per
        group id through the control API)."""
        group = create(self, *args, **kwargs)
        group.engine_version = group.engine_version or DEFAULT_VERSION.get(group.engine, "7.1")
        if not group.cache_parameter_group_name:
            group.cache_parameter_group_name = f"default.{_family(group.engine, group.engine_version)}"
        group.pending_modified_values = None
        group._onto_held = {}
        clock.progress(
            group,
            CREATE,
            CREATE_OUTCOME.get(group.replication_group_id, "available"),
            kind="elasticache:replication-group",
            ident=_ident(self, group.replication_group_id),
            action="create",
            owner=_tag(group.tags, "onto:owner"),
        )
        return group

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        """DeleteReplicationGroup: the group is `deleting` for minutes (it
        still answers DescribeReplicationGroups), then
        ReplicationGroupNotFoundFault. A group that is not `available` is
        refused with InvalidReplicationGroupState (one that failed to be
        created can be deleted)."""
        group = self.replication_groups.get(replication_group_id)
        if group is not None and group.status not in ("available", "create-failed"):
            raise _error(
                "InvalidReplicationGroupState",
                f"Replication group {replication_group_id} is {group.status}, not available.",
            )
        group = delete(self, replication_group_id, retain_primary_cluster)

        def gone():
            if self.replication_groups.get(replication_group_id) is group:
                del self.replication_groups[replication_group_id]

        clock.progress(
            group,
            DELETE,
            None,
            kind="elasticache:replication-group",
            ident=_ident(self, replication_group_id),
            action="delete",
            owner=_tag(group.tags, "onto:owner"),
            done=gone,
        )
        return group

    models.ElastiCacheBackend.create_replication_group = create_replication_group
    models.ElastiCacheBackend.delete_replication_group = delete_replication_group


def _family(engine: str, version: str | None) -> str:
    major = (version or DEFAULT_VERSION.get(engine, "7")).split(".")[0]
    if engine == "redis" and major == "6":
        return "redis6.x"
    return f"{engine}{major}"


def _members(backend, group) -> list[dict]:
    out = []
    for ng in group.node_groups:
        for m in ng["node_group_members"]:
            out.append(
                {
                    "CacheClusterId": m["cache_cluster_id"],
                    "ReplicationGroupId": group.replication_group_id,
                    "CacheClusterStatus": group.status if group.status != "deleting" else "deleting",
                    "Engine": group.engine,
                    "EngineVersion": group.engine_version,
                    "CacheNodeType": group.cache_node_type,
                    "NumCacheNodes": 1,
                    "PreferredAvailabilityZone": m.get("preferred_availability_zone"),
                    "CacheSubnetGroupName": group.cache_subnet_group_name,
                    "SecurityGroups": [{"SecurityGroupId": s, "Status": "active"} for s in group.security_group_ids or []],
                    "CacheParameterGroup": {
                        "CacheParameterGroupName": group.cache_parameter_group_name,
                        "ParameterApplyStatus": "in-sync",
                    },
                    "AuthTokenEnabled": group.auth_token_enabled,
                    "TransitEncryptionEnabled": group.transit_encryption_enabled,
                    "AtRestEncryptionEnabled": group.at_rest_encryption_enabled,
                    "SnapshotRetentionLimit": group.snapshot_retention_limit,
                    "ARN": f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:cluster:{m['cache_cluster_id']}",
                    "CacheClusterCreateTime": group.replication_group_create_time,
                    "PendingModifiedValues": _node_pending(getattr(group, "_onto_held", None) or {}),
                }
            )
    return out


def _member_clusters() -> None:
    def describe_cache_clusters(self):
        """DescribeCacheClusters: a replication group's nodes are cache
        clusters too (`<group>-001`, ...), with the group's engine and
        version, node type, parameter group, subnet and security groups; a
        name that is neither is CacheClusterNotFound. moto 5.2.5 lists only
        stand-alone clusters."""
        wanted = self._get_param("CacheClusterId")
        backend = self.elasticache_backend
        clusters = list(backend.cache_clusters.values())
        for group in backend.replication_groups.values():
            clusters.extend(_members(backend, group))

        def ident(c):
            return c["CacheClusterId"] if isinstance(c, dict) else c.cache_cluster_id

        if wanted:
            clusters = [c for c in clusters if ident(c) == wanted]
            if not clusters:
                raise exceptions.CacheClusterNotFound(wanted)
        return PaginatedResult({"CacheClusters": clusters})

    responses.ElastiCacheResponse.describe_cache_clusters = describe_cache_clusters


def _group_or_fail(backend, group_id):
    group = backend.replication_groups.get(group_id)
    if group is None:
        raise exceptions.ReplicationGroupNotFound(group_id)
    return group


def _modification() -> None:
    def modify_replication_group(self):
        """ModifyReplicationGroup: changes an `available` group (otherwise
        InvalidReplicationGroupState). With ApplyImmediately the group is
        `modifying`: settings (snapshots, windows, failover, groups) show at
        once, a new node type, engine or token once it is `available` again;
        without it, node type and engine version changes wait for the
        maintenance window (the nodes' PendingModifiedValues). Engine `redis` may move
        to `valkey`, never back; engine versions never go down. AuthToken
        with AuthTokenUpdateStrategy ROTATE or SET needs in-transit
        encryption; DELETE removes the token."""
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        group = _group_or_fail(backend, group_id)
        if group.status != "available":
            raise _error("InvalidReplicationGroupState", f"Replication group {group_id} is {group.status}, not available.")
        now = self._get_bool_param("ApplyImmediately") or False
        change = {}
        engine = self._get_param("Engine")
        version = self._get_param("EngineVersion")
        if engine and engine != group.engine:
            if not (group.engine == "redis" and engine == "valkey"):
                raise _error("InvalidParameterCombination", f"Cannot change the engine from {group.engine} to {engine}.")
            change["engine"] = engine
            if not version:
                version = DEFAULT_VERSION["valkey"]
        if version and version != group.engine_version:
            if engine in (None, group.engine) and _version(version) < _version(group.engine_version):
                raise _error("InvalidParameterCombination", f"Cannot downgrade from {group.engine_version} to {version}.")
            change["engine_version"] = version
        node_type = self._get_param("CacheNodeType")
        if node_type and node_type != group.cache_node_type:
            change["cache_node_type"] = node_type
        failover = self._get_bool_param("AutomaticFailoverEnabled")
        if failover is not None:
            if failover and len(group.member_clusters) < 2:
                raise _error("InvalidParameterCombination", "Automatic failover needs at least one replica.")
            change["automatic_failover"] = "enabled" if failover else "disabled"
        multi_az = self._get_bool_param("MultiAZEnabled")
        if multi_az is not None:
            change["multi_az"] = "enabled" if multi_az else "disabled"
        for param, attr in (("SnapshotRetentionLimit", "snapshot_retention_limit"),):
            value = self._get_int_param(param)
            if value is not None:
                change[attr] = value
        for param, attr in (
            ("SnapshotWindow", "snapshot_window"),
            ("PreferredMaintenanceWindow", "preferred_maintenance_window"),
            ("ReplicationGroupDescription", "description"),
        ):
            value = self._get_param(param)
            if value is not None:
                change[attr] = value
        parameter_group = self._get_param("CacheParameterGroupName")
        if parameter_group:
            if not parameter_group.startswith("default.") and parameter_group not in _parameter_groups_of(backend):
                raise _error("CacheParameterGroupNotFound", f"CacheParameterGroup {parameter_group} not found.")
            change["cache_parameter_group_name"] = parameter_group
        groups = self._get_param("SecurityGroupIds")
        if groups is not None:
            change["security_group_ids"] = groups
        strategy = self._get_param("AuthTokenUpdateStrategy")
        token = self._get_param("AuthToken")
        if token is not None or strategy:
            if strategy == "DELETE":
                if not group.auth_token_enabled:
                    raise _error("InvalidParameterCombination", "The group has no AUTH token to delete.")
                change["auth_token_enabled"] = False
            else:
                if not group.transit_encryption_enabled:
                    raise _error("InvalidParameterCombination", "AUTH tokens need in-transit encryption.")
                if not token or not 16 <= len(token) <= 128:
                    raise _error("InvalidParameterValue", "AuthToken must be 16 to 128 characters.")
                change["auth_token_enabled"] = True
                change["auth_token_last_modified_date"] = utcnow()

        later = {}
        if not now:
            for attr in ("cache_node_type", "engine_version", "engine"):
                if attr in change:
                    later[attr] = change.pop(attr)
        if later:
            group._onto_held = {**getattr(group, "_onto_held", {}), **later}
            group.pending_modified_values = _pending(group._onto_held)
        if not change:
            return ActionResult({"ReplicationGroup": group})
        heavy = bool({"cache_node_type", "engine_version", "engine"} & set(change))
        # Settings take effect at once; nodes, engines and tokens once the
        # group is available again.
        for attr in [a for a in change if a not in LATER]:
            setattr(group, attr, change.pop(attr))

        def apply():
            for attr, value in change.items():
                setattr(group, attr, value)
            if "engine" in change or "engine_version" in change:
                if (group.cache_parameter_group_name or "").startswith("default."):
                    group.cache_parameter_group_name = f"default.{_family(group.engine, group.engine_version)}"
            group.pending_modified_values = _pending(getattr(group, "_onto_held", {})) or None

        group.pending_modified_values = _pending(change) or None
        clock.progress(
            group,
            RESIZE if heavy else MODIFY,
            "available",
            kind="elasticache:replication-group",
            ident=_ident(backend, group_id),
            action="modify",
            owner=_tag(group.tags, "onto:owner"),
            done=apply,
        )
        return ActionResult({"ReplicationGroup": group})

    responses.ElastiCacheResponse.modify_replication_group = modify_replication_group


def _version(v: str | None) -> tuple:
    out = []
    for part in (v or "0").split("."):
        out.append(int(part) if part.isdigit() else 0)
    return tuple(out)


def _pending(change: dict) -> dict:
    """A replication group's PendingModifiedValues (held node type and
    engine changes show on its nodes instead, see `_node_pending`)."""
    out = {}
    if "auth_token_enabled" in change:
        out["AuthTokenStatus"] = "ROTATING" if change["auth_token_enabled"] else "SETTING"
    return out


def _node_pending(held: dict) -> dict:
    out = {}
    if "cache_node_type" in held:
        out["CacheNodeType"] = held["cache_node_type"]
    if "engine_version" in held:
        out["EngineVersion"] = held["engine_version"]
    return out


def maintenance_window() -> list[str]:
    """Held node type and engine changes are applied (the group is
    `modifying`, then `available`)."""
    applied = []
    for account in elasticache_backends.values():
        for backend in account.values():
            for group in list(backend.replication_groups.values()):
                held = getattr(group, "_onto_held", None)
                if not held:
                    continue
                group._onto_held = {}

                def apply(group=group, held=held):
                    for attr, value in held.items():
                        setattr(group, attr, value)
                    group.pending_modified_values = None

                clock.progress(group, RESIZE, "available", kind="elasticache:replication-group", ident=_ident(backend, group.replication_group_id), action="maintenance", owner=_tag(group.tags, "onto:owner"), done=apply)
                applied.append(group.replication_group_id)
    return applied


def _replica_counts() -> None:
    def change_replicas(self, increase: bool):
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        group = _group_or_fail(backend, group_id)
        if not self._get_bool_param("ApplyImmediately"):
            raise _error("InvalidParameterValue", "ApplyImmediately must be true to change the replica count.")
        if group.status != "available":
            raise _error("InvalidReplicationGroupState", f"Replication group {group_id} is {group.status}, not available.")
        want = self._get_int_param("NewReplicaCount")
        have = len(group.member_clusters) - 1
        if want is None or want < 0 or want > 5:
            raise _error("InvalidParameterValue", "NewReplicaCount must be between 0 and 5.")
        if increase and want <= have:
            raise _error("InvalidParameterValue", f"NewReplicaCount {want} must be greater than the current {have}.")
        if not increase and want >= have:
            raise _error("InvalidParameterValue", f"NewReplicaCount {want} must be less than the current {have}.")
        if not increase and want == 0 and group.automatic_failover == "enabled":
            raise _error(
                "InvalidParameterCombination",
                "Cannot remove the last replica while automatic failover is enabled.",
            )

        def apply():
            node_group = group.node_groups[0]
            members = node_group["node_group_members"]
            if increase:
                for n in range(have + 2, want + 2):
                    cid = f"{group_id}-{n:0>3}"
                    members.append(
                        {
                            "cache_cluster_id": cid,
                            "cache_node_id": node_group["node_group_id"],
                            "read_endpoint": {"address": f"{cid}.{group_id}.cache.amazonaws.com", "port": group.port},
                            "preferred_availability_zone": f"{backend.region_name}{'abc'[(n - 1) % 3]}",
                            "current_role": "replica",
                        }
                    )
                    group.member_clusters.append(cid)
            else:
                while len(group.member_clusters) - 1 > want:
                    cid = group.member_clusters.pop()
                    node_group["node_group_members"] = [m for m in members if m["cache_cluster_id"] != cid]
                    members = node_group["node_group_members"]

        clock.progress(
            group,
            REPLICAS,
            "available",
            kind="elasticache:replication-group",
            ident=_ident(backend, group_id),
            action="increase-replicas" if increase else "decrease-replicas",
            owner=_tag(group.tags, "onto:owner"),
            done=apply,
        )
        return ActionResult({"ReplicationGroup": group})

    def increase_replica_count(self):
        """IncreaseReplicaCount (cluster mode disabled): ApplyImmediately
        must be true; NewReplicaCount above the current count, at most 5.
        The group is `modifying` while the replicas are added."""
        return change_replicas(self, True)

    def decrease_replica_count(self):
        """DecreaseReplicaCount (cluster mode disabled): ApplyImmediately
        must be true; NewReplicaCount below the current count; the last
        replica cannot go while automatic failover is enabled. The group is
        `modifying` while replicas are removed."""
        return change_replicas(self, False)

    responses.ElastiCacheResponse.increase_replica_count = increase_replica_count
    responses.ElastiCacheResponse.decrease_replica_count = decrease_replica_count


class ParameterGroup:
    def __init__(self, backend, name, family, description):
        self.cache_parameter_group_name = name
        self.cache_parameter_group_family = family
        self.description = description
        self.is_global = False
        self.arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"
        self.values: dict[str, str] = {}

    def as_dict(self):
        return {
            "CacheParameterGroupName": self.cache_parameter_group_name,
            "CacheParameterGroupFamily": self.cache_parameter_group_family,
            "Description": self.description,
            "IsGlobal": self.is_global,
            "ARN": self.arn,
        }

    def parameters(self, source: str | None):
        out = []
        for name, (default, kind, allowed) in sorted(PARAMETERS.items()):
            user = name in self.values
            if source == "user" and not user:
                continue
            if source in ("system", "engine-default") and user:
                continue
            p = {
                "ParameterName": name,
                "ParameterValue": self.values.get(name, default),
                "Source": "user" if user else "system",
                "DataType": kind,
                "IsModifiable": name != "cluster-enabled",
                "ChangeType": "immediate",
            }
            if allowed:
                p["AllowedValues"] = allowed
            out.append(p)
        return out


def _parameter_groups_of(backend) -> dict:
    if not hasattr(backend, "_onto_parameter_groups"):
        backend._onto_parameter_groups = {}
    return backend._onto_parameter_groups


def _check_value(name: str, value: str) -> None:
    if name not in PARAMETERS:
        raise _error("InvalidParameterValue", f"Unknown parameter: {name}.")
    _, kind, allowed = PARAMETERS[name]
    if kind == "string" and allowed and value not in allowed.split(","):
        raise _error("InvalidParameterValue", f"Invalid value for {name}: {value!r}; allowed: {allowed}.")
    if kind == "integer" and not value.lstrip("-").isdigit():
        raise _error("InvalidParameterValue", f"{name} must be an integer, not {value!r}.")


def _parameter_groups() -> None:
    # Tags on parameter groups: moto's ARN check knows no `parametergroup`.
    arn_regex = models.ElastiCacheBackend.__init__

    def __init__(self, region_name, account_id):
        arn_regex(self, region_name, account_id)
        self.arn_regex = re.compile(
            r"^arn:aws:elasticache:.*:[0-9]*:(cluster|snapshot|subnetgroup|replicationgroup|user|parametergroup):.*$"
        )

    models.ElastiCacheBackend.__init__ = __init__

    def create_cache_parameter_group(self):
        """CreateCacheParameterGroup: a group of a family (`redis7`,
        `valkey8`, ...) with the family's defaults; a taken name is
        CacheParameterGroupAlreadyExists, an unknown family
        InvalidParameterValue."""
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        family = self._get_param("CacheParameterGroupFamily")
        groups = _parameter_groups_of(backend)
        if name in groups:
            raise _error("CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.")
        if family not in FAMILIES:
            raise _error("InvalidParameterValue", f"Unknown cache parameter group family {family}.")
        group = ParameterGroup(backend, name, family, self._get_param("Description"))
        groups[name] = group
        tags = self._get_param("Tags", [])
        if tags:
            backend.tagging_service.tag_resource(group.arn, tags)
        return ActionResult({"CacheParameterGroup": group.as_dict()})

    def find(self, name):
        group = _parameter_groups_of(self.elasticache_backend).get(name)
        if group is None:
            raise _error("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")
        return group

    def describe_cache_parameter_groups(self):
        """DescribeCacheParameterGroups: one group by name
        (CacheParameterGroupNotFound when absent), or all."""
        name = self._get_param("CacheParameterGroupName")
        if name:
            return ActionResult({"CacheParameterGroups": [find(self, name).as_dict()]})
        groups = _parameter_groups_of(self.elasticache_backend).values()
        return ActionResult({"CacheParameterGroups": [g.as_dict() for g in groups]})

    def describe_cache_parameters(self):
        """DescribeCacheParameters: a group's parameters, all or by Source
        (`user`: those set by ModifyCacheParameterGroup)."""
        group = find(self, self._get_param("CacheParameterGroupName"))
        return ActionResult({"Parameters": group.parameters(self._get_param("Source"))})

    def modify_cache_parameter_group(self):
        """ModifyCacheParameterGroup: up to 20 parameters per call, each
        known to the family and with a valid value (InvalidParameterValue
        otherwise)."""
        group = find(self, self._get_param("CacheParameterGroupName"))
        values = self._get_param("ParameterNameValues", [])
        if len(values) > 20:
            raise _error("InvalidParameterValue", "At most 20 parameters per call.")
        for v in values:
            _check_value(v["ParameterName"], v.get("ParameterValue", ""))
        for v in values:
            group.values[v["ParameterName"]] = v.get("ParameterValue", "")
        return ActionResult({"CacheParameterGroupName": group.cache_parameter_group_name})

    def reset_cache_parameter_group(self):
        """ResetCacheParameterGroup: the named parameters (or all, with
        ResetAllParameters) go back to the family's defaults."""
        group = find(self, self._get_param("CacheParameterGroupName"))
        if self._get_bool_param("ResetAllParameters"):
            group.values.clear()
        for v in self._get_param("ParameterNameValues", []):
            group.values.pop(v["ParameterName"], None)
        return ActionResult({"CacheParameterGroupName": group.cache_parameter_group_name})

    def delete_cache_parameter_group(self):
        """DeleteCacheParameterGroup: a group no replication group uses
        (InvalidCacheParameterGroupState otherwise); unknown names are
        CacheParameterGroupNotFound."""
        backend = self.elasticache_backend
        group = find(self, self._get_param("CacheParameterGroupName"))
        name = group.cache_parameter_group_name
        if any(g.cache_parameter_group_name == name for g in backend.replication_groups.values()):
            raise _error("InvalidCacheParameterGroupState", f"Parameter group {name} is in use.")
        del _parameter_groups_of(backend)[name]
        return ActionResult({})

    for f in (
        create_cache_parameter_group,
        describe_cache_parameter_groups,
        describe_cache_parameters,
        modify_cache_parameter_group,
        reset_cache_parameter_group,
        delete_cache_parameter_group,
    ):
        setattr(responses.ElastiCacheResponse, f.__name__, f)


def _subnet_groups() -> None:
    def delete_cache_subnet_group(self, cache_subnet_group_name):
        """DeleteCacheSubnetGroup: deletes a subnet group no replication
        group uses (one still deleting counts); an unknown name is
        CacheSubnetGroupNotFoundFault, one in use CacheSubnetGroupInUse.
        moto 5.2.5 does not have this operation."""
        if cache_subnet_group_name not in self.cache_subnet_groups:
            raise exceptions.CacheSubnetGroupNotFound(cache_subnet_group_name)
        in_use = any(
            getattr(g, "cache_subnet_group_name", None) == cache_subnet_group_name
            for g in self.replication_groups.values()
        )
        if in_use:
            raise _error("CacheSubnetGroupInUse", f"Cache subnet group {cache_subnet_group_name} is currently in use by a cluster.")
        return self.cache_subnet_groups.pop(cache_subnet_group_name)

    def delete_cache_subnet_group_response(self):
        self.elasticache_backend.delete_cache_subnet_group(
            cache_subnet_group_name=self._get_param("CacheSubnetGroupName")
        )
        return ActionResult({})

    def modify_cache_subnet_group(self):
        """ModifyCacheSubnetGroup: replaces the group's subnets (and
        description); unknown groups are CacheSubnetGroupNotFoundFault."""
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        old = backend.cache_subnet_groups.get(name)
        if old is None:
            raise exceptions.CacheSubnetGroupNotFound(name)
        group = models.CacheSubnetGroup(
            account_id=backend.account_id,
            region_name=backend.region_name,
            cache_subnet_group_name=name,
            cache_subnet_group_description=self._get_param("CacheSubnetGroupDescription") or old.cache_subnet_group_description,
            subnet_ids=self._get_param("SubnetIds") or old.subnet_ids,
            tags=old.tags,
        )
        backend.cache_subnet_groups[name] = group
        return ActionResult({"CacheSubnetGroup": group})

    models.ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    responses.ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group_response
    responses.ElastiCacheResponse.modify_cache_subnet_group = modify_cache_subnet_group
