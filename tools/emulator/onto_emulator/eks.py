"""EKS: clusters and node groups over time, version and configuration
updates tracked by DescribeUpdate, add-ons (with health), access entries."""

from __future__ import annotations

import json
from urllib.parse import unquote

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import models, responses, urls
from moto.eks.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from moto.moto_api._internal import mock_random as random

from . import clock

# AWS-like durations, in AWS seconds.
CLUSTER_CREATE = [("CREATING", 600)]
CLUSTER_DELETE = [("DELETING", 300)]
CLUSTER_VERSION = [("UPDATING", 900)]
CLUSTER_CONFIG = [("UPDATING", 120)]
NODEGROUP_CREATE = [("CREATING", 180)]
NODEGROUP_DELETE = [("DELETING", 180)]
NODEGROUP_CONFIG = [("UPDATING", 60)]
NODEGROUP_VERSION = [("UPDATING", 600)]
ADDON_CREATE = [("CREATING", 60)]
ADDON_UPDATE = [("UPDATING", 60)]
ADDON_DELETE = [("DELETING", 30)]

# The add-ons AWS offers, and their default version per Kubernetes minor.
ADDON_CATALOG = {
    "vpc-cni": "v1.19.{p}-eksbuild.1",
    "coredns": "v1.11.{p}-eksbuild.2",
    "kube-proxy": "v{k}.0-eksbuild.1",
    "aws-ebs-csi-driver": "v1.38.{p}-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.{p}-eksbuild.1",
    "adot": "v0.109.{p}-eksbuild.1",
}
KUBERNETES = ["1.29", "1.30", "1.31", "1.32", "1.33", "1.34"]
# Add-ons whose pods need nodes to become healthy (Deployments).
NEEDS_NODES = {"coredns", "aws-ebs-csi-driver", "adot"}
ACCESS_POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"

# Add-on names made DEGRADED on demand: name -> health issues.
DEGRADED: dict[str, list[dict]] = {}


def _error(cls, message: str, **names):
    return cls(
        clusterName=names.get("cluster"),
        nodegroupName=names.get("nodegroup"),
        fargateProfileName=None,
        addonName=names.get("addon"),
        message=message,
    )


def _tag(tags, key):
    return (tags or {}).get(key)


def _ident(backend, *names):
    return "/".join([backend.region_name, *names])


def _cluster(backend, name, *, active=False):
    cluster = backend.clusters.get(name)
    if cluster is None:
        raise _error(ResourceNotFoundException, f"No cluster found for name: {name}.", cluster=name)
    if active and cluster.status != "ACTIVE":
        raise _error(
            ResourceInUseException if cluster.status == "UPDATING" else InvalidRequestException,
            f"Cluster '{name}' is not in ACTIVE status (it is {cluster.status}).",
            cluster=name,
        )
    return cluster


def _state(cluster):
    if not hasattr(cluster, "_onto"):
        cluster._onto = {"addons": {}, "access": {}, "updates": {}}
    return cluster._onto


def _update(kind: str, params: list[dict]) -> dict:
    return {
        "id": str(random.uuid4()),
        "status": "InProgress",
        "type": kind,
        "params": params,
        "createdAt": utcnow(),
        "errors": [],
    }


def _track(cluster, update, *, nodegroup=None, addon=None):
    update["_scope"] = (nodegroup, addon)
    _state(cluster)["updates"][update["id"]] = update
    return update


def _public(update):
    return {k: v for k, v in update.items() if not k.startswith("_")}


def install() -> None:
    _routes()
    _clusters_over_time()
    _nodegroups_over_time()
    _updates()
    _addons()
    _access_entries()


def _routes() -> None:
    base = "{0}/clusters/(?P<name>[^/]+)"
    for path in (
        base + "/addons$",
        base + "/addons/(?P<addonName>[^/]+)$",
        base + "/addons/(?P<addonName>[^/]+)/update$",
        "{0}/addons/supported-versions$",
        base + "/access-entries$",
        base + "/access-entries/(?P<principalArn>.+)/access-policies/(?P<policyArn>.+)$",
        base + "/access-entries/(?P<principalArn>.+)/access-policies$",
        base + "/access-entries/(?P<principalArn>.+)$",
        base + "/updates$",
        base + "/updates/(?P<updateId>[^/]+)$",
        base + "/node-groups/(?P<nodegroupName>[^/]+)/update-version$",
    ):
        urls.url_paths[path] = urls.response.dispatch


# ---- clusters ------------------------------------------------------------------


def _clusters_over_time() -> None:
    create_response = responses.EKSResponse.create_cluster
    create = models.EKSBackend.create_cluster
    delete = models.EKSBackend.delete_cluster

    def create_cluster_response(self):
        """CreateCluster: also keeps `accessConfig` (the authentication
        mode, CONFIG_MAP unless given), which moto 5.2.5 drops."""
        result = create_response(self)
        body = json.loads(self.body or "{}")
        access = body.get("accessConfig") or {}
        cluster = self.eks_backend.clusters[body["name"]]
        cluster.access_config = {
            "authenticationMode": access.get("authenticationMode", "CONFIG_MAP"),
            "bootstrapClusterCreatorAdminPermissions": access.get("bootstrapClusterCreatorAdminPermissions", True),
        }
        return result

    def create_cluster(self, name, *args, **kwargs):
        """CreateCluster: the cluster is `CREATING` for about ten minutes,
        then `ACTIVE`; a name in use is ResourceInUseException."""
        cluster = create(self, name, *args, **kwargs)
        clock.progress(cluster, CLUSTER_CREATE, "ACTIVE", kind="eks:cluster", ident=_ident(self, name), action="create", owner=_tag(cluster.tags, "onto:owner"))
        return cluster

    def delete_cluster(self, name):
        """DeleteCluster: refused while node groups exist
        (ResourceInUseException) or while the cluster is being created or
        updated; the cluster is `DELETING`, then gone, with its add-ons and
        access entries."""
        cluster = self.clusters.get(name)
        if cluster is not None and cluster.status in ("CREATING", "UPDATING"):
            raise _error(ResourceInUseException, f"Cluster {name} is {cluster.status}.", cluster=name)
        if cluster is not None and cluster.status == "DELETING":
            return cluster
        cluster = delete(self, name)
        self.clusters[name] = cluster
        self.cluster_count += 1

        def gone():
            if self.clusters.get(name) is cluster:
                del self.clusters[name]
                self.cluster_count -= 1

        clock.progress(
            cluster,
            CLUSTER_DELETE,
            None,
            kind="eks:cluster",
            ident=_ident(self, name),
            action="delete",
            after_keys=_state(cluster).get("gone", []),
            owner=_tag(cluster.tags, "onto:owner"),
            done=gone,
        )
        return cluster

    responses.EKSResponse.create_cluster = create_cluster_response
    models.EKSBackend.create_cluster = create_cluster
    models.EKSBackend.delete_cluster = delete_cluster


# ---- node groups ---------------------------------------------------------------


def _nodegroups_over_time() -> None:
    create = models.EKSBackend.create_nodegroup
    delete = models.EKSBackend.delete_nodegroup

    def create_nodegroup(self, *args, **kwargs):
        """CreateNodegroup: the cluster must be ACTIVE; the node group is
        `CREATING` for a few minutes (instances launch and join), then
        `ACTIVE`."""
        _cluster(self, kwargs.get("cluster_name", args[0] if args else None), active=True)
        group = create(self, *args, **kwargs)
        cluster_name, nodegroup_name = group.cluster_name, group.nodegroup_name
        clock.progress(
            group,
            NODEGROUP_CREATE,
            "ACTIVE",
            kind="eks:nodegroup",
            ident=_ident(self, cluster_name, nodegroup_name),
            action="create",
            after_keys=[f"eks:cluster/{_ident(self, cluster_name)}"],
            owner=_tag(group.tags, "onto:owner"),
        )
        return group

    def delete_nodegroup(self, cluster_name, nodegroup_name):
        """DeleteNodegroup: the node group is `DELETING` (its instances
        drain and terminate), then gone; until then the cluster cannot be
        deleted."""
        cluster = _cluster(self, cluster_name)
        existing = cluster.nodegroups.get(nodegroup_name)
        if existing is not None and existing.status == "DELETING":
            return existing
        group = delete(self, cluster_name, nodegroup_name)
        cluster.nodegroups[nodegroup_name] = group
        cluster.nodegroup_count += 1

        def gone():
            if cluster.nodegroups.get(nodegroup_name) is group:
                del cluster.nodegroups[nodegroup_name]
                cluster.nodegroup_count -= 1
                _state(cluster).setdefault("gone", []).append(f"eks:nodegroup/{_ident(self, cluster_name, nodegroup_name)}")

        clock.progress(group, NODEGROUP_DELETE, None, kind="eks:nodegroup", ident=_ident(self, cluster_name, nodegroup_name), action="delete", owner=_tag(group.tags, "onto:owner"), done=gone)
        return group

    models.EKSBackend.create_nodegroup = create_nodegroup
    models.EKSBackend.delete_nodegroup = delete_nodegroup


# ---- updates -------------------------------------------------------------------


def _minor(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def _updates() -> None:
    update_config = models.EKSBackend.update_nodegroup_config

    def update_cluster_version(self):
        """UpdateClusterVersion: one Kubernetes minor at a time
        (InvalidParameterException otherwise), only while the cluster is
        ACTIVE with no update in progress (ResourceInUseException). The
        cluster is `UPDATING` for several minutes; the returned update is
        `InProgress`, then `Successful`, and the cluster reports the new
        version."""
        name = self._get_param("name")
        version = self._get_param("version")
        cluster = _cluster(self.eks_backend, name, active=True)
        if _minor(version) != (_minor(cluster.version)[0], _minor(cluster.version)[1] + 1):
            raise _error(
                InvalidParameterException,
                f"Unsupported Kubernetes minor version update from {cluster.version} to {version}",
                cluster=name,
            )
        update = _track(cluster, _update("VersionUpdate", [{"type": "Version", "value": version}, {"type": "PlatformVersion", "value": "eks.1"}]))

        def done():
            cluster.version = version
            update["status"] = "Successful"

        clock.progress(cluster, CLUSTER_VERSION, "ACTIVE", kind="eks:cluster", ident=_ident(self.eks_backend, name), action="update-version", owner=_tag(cluster.tags, "onto:owner"), done=done)
        return ActionResult({"update": _public(update)})

    def update_cluster_config(self):
        """UpdateClusterConfig (logging, endpoint access, ...): the cluster
        is `UPDATING` for a few minutes; the answer is an update, tracked by
        DescribeUpdate. Refused unless the cluster is ACTIVE."""
        name = self._get_param("name")
        backend = self.eks_backend
        cluster = _cluster(backend, name, active=True)
        body = json.loads(self.body or "{}")
        backend.update_cluster_config(
            name=name,
            resources_vpc_config=body.get("resourcesVpcConfig"),
            logging=body.get("logging"),
            client_request_token=body.get("clientRequestToken"),
            kubernetes_network_config=body.get("kubernetesNetworkConfig"),
            remote_network_config=body.get("remoteNetworkConfig"),
        )
        if body.get("accessConfig"):
            cluster.access_config = {**getattr(cluster, "access_config", {}), **body["accessConfig"]}
        kind = "LoggingUpdate" if body.get("logging") else "EndpointAccessUpdate" if body.get("resourcesVpcConfig") else "AccessConfigUpdate"
        update = _track(cluster, _update(kind, []))

        def done():
            update["status"] = "Successful"

        clock.progress(cluster, CLUSTER_CONFIG, "ACTIVE", kind="eks:cluster", ident=_ident(backend, name), action="update-config", owner=_tag(cluster.tags, "onto:owner"), done=done)
        return ActionResult({"update": _public(update)})

    def update_nodegroup_config(self, cluster_name, nodegroup_name, *args, **kwargs):
        """UpdateNodegroupConfig: the node group is `UPDATING`, then
        `ACTIVE`; the update is `InProgress`, then `Successful`. Refused
        unless the node group is ACTIVE (ResourceInUseException)."""
        cluster = _cluster(self, cluster_name)
        group = cluster.nodegroups.get(nodegroup_name)
        if group is not None and group.status != "ACTIVE":
            raise _error(ResourceInUseException, f"Nodegroup {nodegroup_name} is {group.status}.", cluster=cluster_name, nodegroup=nodegroup_name)
        result = update_config(self, cluster_name, nodegroup_name, *args, **kwargs)
        update = _track(cluster, {**result, "status": "InProgress"}, nodegroup=nodegroup_name)

        def done():
            update["status"] = "Successful"

        clock.progress(group, NODEGROUP_CONFIG, "ACTIVE", kind="eks:nodegroup", ident=_ident(self, cluster_name, nodegroup_name), action="update-config", owner=_tag(group.tags, "onto:owner"), done=done)
        return _public(update)

    def update_nodegroup_version(self):
        """UpdateNodegroupVersion: nodes are replaced with the cluster's
        Kubernetes version (or the given one, never above the cluster's:
        InvalidParameterException); the node group is `UPDATING` for
        minutes, the update `InProgress`, then `Successful`."""
        name = self._get_param("name")
        ng_name = self._get_param("nodegroupName")
        body = json.loads(self.body or "{}")
        backend = self.eks_backend
        cluster = _cluster(backend, name, active=True)
        group = cluster.nodegroups.get(ng_name)
        if group is None:
            raise _error(ResourceNotFoundException, f"No node group found for name: {ng_name}.", cluster=name, nodegroup=ng_name)
        if group.status != "ACTIVE":
            raise _error(ResourceInUseException, f"Nodegroup {ng_name} is {group.status}.", cluster=name, nodegroup=ng_name)
        version = body.get("version") or cluster.version
        if _minor(version) > _minor(cluster.version):
            raise _error(InvalidParameterException, f"Requested Kubernetes version {version} is newer than the cluster's {cluster.version}.", cluster=name, nodegroup=ng_name)
        update = _track(cluster, _update("VersionUpdate", [{"type": "Version", "value": version}]), nodegroup=ng_name)

        def done():
            group.version = version
            group.release_version = body.get("releaseVersion") or f"{version}.0-{utcnow():%Y%m%d}"
            update["status"] = "Successful"

        clock.progress(group, NODEGROUP_VERSION, "ACTIVE", kind="eks:nodegroup", ident=_ident(backend, name, ng_name), action="update-version", after_keys=[f"eks:cluster/{_ident(backend, name)}"], owner=_tag(group.tags, "onto:owner"), done=done)
        return ActionResult({"update": _public(update)})

    def describe_update(self):
        """DescribeUpdate: an update of the cluster, or of one of its node
        groups (`nodegroupName`) or add-ons (`addonName`);
        ResourceNotFoundException for an unknown id."""
        name = self._get_param("name")
        update_id = self._get_param("updateId")
        cluster = _cluster(self.eks_backend, name)
        update = _state(cluster)["updates"].get(update_id)
        scope = (self._get_param("nodegroupName"), self._get_param("addonName"))
        if update is None or update["_scope"] != scope:
            raise _error(ResourceNotFoundException, f"No update found for ID: {update_id}", cluster=name)
        return ActionResult({"update": _public(update)})

    def list_updates(self):
        """ListUpdates: the ids of a cluster's (or its node group's or
        add-on's) updates."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        scope = (self._get_param("nodegroupName"), self._get_param("addonName"))
        ids = [u["id"] for u in _state(cluster)["updates"].values() if u["_scope"] == scope]
        return ActionResult({"updateIds": ids})

    responses.EKSResponse.update_cluster_version = update_cluster_version
    responses.EKSResponse.update_cluster_config = update_cluster_config
    responses.EKSResponse.update_nodegroup_version = update_nodegroup_version
    responses.EKSResponse.describe_update = describe_update
    responses.EKSResponse.list_updates = list_updates
    models.EKSBackend.update_nodegroup_config = update_nodegroup_config


# ---- add-ons -------------------------------------------------------------------


def _default_version(addon: str, k8s: str) -> str:
    k_minor = _minor(k8s)[1]
    return ADDON_CATALOG[addon].format(k=k8s, p=k_minor % 10)


def _addon_json(cluster, addon) -> dict:
    return {k: v for k, v in addon.items() if not k.startswith("_")}


def set_addon_health(name: str, issues: list[dict]) -> None:
    """Add-ons called `name` report these health issues and are DEGRADED
    (an empty list: healthy and ACTIVE again), now and when created or
    updated later."""
    if issues:
        DEGRADED[name] = issues
    else:
        DEGRADED.pop(name, None)
    from moto.eks.models import eks_backends

    for account in eks_backends.values():
        for backend in account.values():
            for cluster in backend.clusters.values():
                addon = _state(cluster)["addons"].get(name)
                if addon is not None and addon["status"] in ("ACTIVE", "DEGRADED"):
                    _settle(addon)


def _settle(addon: dict) -> None:
    issues = DEGRADED.get(addon["addonName"])
    if not issues and addon.pop("_no_nodes", False):
        issues = [{"code": "InsufficientNumberOfReplicas", "message": "The add-on is unhealthy because it doesn't have the desired number of replicas (the cluster has no nodes)."}]
    addon["health"] = {"issues": list(issues or [])}
    addon["status"] = "DEGRADED" if issues else "ACTIVE"


class _Status:
    """Lets `clock.progress` drive an add-on's `status` key."""

    def __init__(self, addon: dict):
        self.__dict__["addon"] = addon

    def __getattr__(self, name):
        if name == "status":
            return self.addon["status"]
        return self.addon.get(name)

    def __setattr__(self, name, value):
        if name == "status":
            self.addon["status"] = value
        else:
            self.addon[name] = value


def _addons() -> None:
    def create_addon(self):
        """CreateAddon: the cluster must be ACTIVE; a name AWS does not
        offer, or a version it does not offer for the cluster's Kubernetes
        version, is InvalidParameterException; an installed add-on is
        ResourceInUseException. The add-on is `CREATING`, then `ACTIVE` —
        or `DEGRADED`, with its health issues, when it cannot run (an add-on
        whose pods need nodes, on a cluster without any)."""
        backend = self.eks_backend
        body = json.loads(self.body or "{}")
        name = self._get_param("name")
        addon_name = body.get("addonName")
        cluster = _cluster(backend, name, active=True)
        if addon_name not in ADDON_CATALOG:
            raise _error(InvalidParameterException, f"Addon {addon_name} specified is not supported", cluster=name, addon=addon_name)
        addons = _state(cluster)["addons"]
        if addon_name in addons:
            raise _error(ResourceInUseException, f"Addon already exists with name: {addon_name}", cluster=name, addon=addon_name)
        version = body.get("addonVersion") or _default_version(addon_name, cluster.version)
        if version != _default_version(addon_name, cluster.version) and not version.startswith("v"):
            raise _error(InvalidParameterException, f"Addon version {version} is not supported", cluster=name, addon=addon_name)
        addon = {
            "addonName": addon_name,
            "clusterName": name,
            "status": "CREATING",
            "addonVersion": version,
            "health": {"issues": []},
            "addonArn": f"arn:aws:eks:{backend.region_name}:{backend.account_id}:addon/{name}/{addon_name}/{random.uuid4()}",
            "createdAt": utcnow(),
            "modifiedAt": utcnow(),
            "serviceAccountRoleArn": body.get("serviceAccountRoleArn"),
            "tags": body.get("tags") or {},
            "configurationValues": body.get("configurationValues"),
        }
        addons[addon_name] = addon
        # Add-ons that run pods on nodes (not DaemonSets alone) are healthy
        # once nodes are there: they wait for the node groups.
        nodes = [
            f"eks:nodegroup/{_ident(backend, name, g)}"
            for g, group in cluster.nodegroups.items()
            if group.status == "ACTIVE"
        ]
        if addon_name in NEEDS_NODES and not nodes:
            addon["_no_nodes"] = True
        clock.progress(
            _Status(addon),
            ADDON_CREATE,
            None,
            kind="eks:addon",
            ident=_ident(backend, name, addon_name),
            action="create",
            after_keys=[f"eks:cluster/{_ident(backend, name)}"] + (nodes if addon_name in NEEDS_NODES else []),
            owner=_tag(addon["tags"], "onto:owner"),
            done=lambda: _settle(addon),
        )
        return ActionResult({"addon": _addon_json(cluster, addon)})

    def find(self):
        name = self._get_param("name")
        addon_name = self._get_param("addonName")
        cluster = _cluster(self.eks_backend, name)
        addon = _state(cluster)["addons"].get(addon_name)
        if addon is None:
            raise _error(ResourceNotFoundException, f"No addon: {addon_name} found in cluster: {name}", cluster=name, addon=addon_name)
        return cluster, addon

    def describe_addon(self):
        """DescribeAddon: the add-on with its status, version and health
        issues; ResourceNotFoundException when not installed."""
        cluster, addon = find(self)
        return ActionResult({"addon": _addon_json(cluster, addon)})

    def list_addons(self):
        """ListAddons: the names of the cluster's add-ons."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        return ActionResult({"addons": sorted(_state(cluster)["addons"])})

    def update_addon(self):
        """UpdateAddon: version, configuration or service-account role; the
        add-on is `UPDATING`, then `ACTIVE` (or `DEGRADED`); the update is
        tracked by DescribeUpdate with `addonName`. Refused while the add-on
        is being created, updated or deleted (ResourceInUseException)."""
        cluster, addon = find(self)
        if addon["status"] not in ("ACTIVE", "DEGRADED", "UPDATE_FAILED", "CREATE_FAILED"):
            raise _error(ResourceInUseException, f"Addon {addon['addonName']} is {addon['status']}.", cluster=cluster.name, addon=addon["addonName"])
        body = json.loads(self.body or "{}")
        params = []
        for key, kind in (("addonVersion", "AddonVersion"), ("serviceAccountRoleArn", "ServiceAccountRoleArn"), ("configurationValues", "ConfigurationValues")):
            if key in body:
                params.append({"type": kind, "value": str(body[key])})
        update = _track(cluster, _update("AddonUpdate", params), addon=addon["addonName"])

        def done():
            for key in ("addonVersion", "serviceAccountRoleArn", "configurationValues"):
                if key in body:
                    addon[key] = body[key] or None
            addon["modifiedAt"] = utcnow()
            _settle(addon)
            update["status"] = "Successful"

        clock.progress(_Status(addon), ADDON_UPDATE, None, kind="eks:addon", ident=_ident(self.eks_backend, cluster.name, addon["addonName"]), action="update", owner=_tag(addon["tags"], "onto:owner"), done=done)
        return ActionResult({"update": _public(update)})

    def delete_addon(self):
        """DeleteAddon: the add-on is `DELETING`, then gone."""
        cluster, addon = find(self)
        addons = _state(cluster)["addons"]

        def gone():
            if addons.get(addon["addonName"]) is addon:
                del addons[addon["addonName"]]

        clock.progress(_Status(addon), ADDON_DELETE, None, kind="eks:addon", ident=_ident(self.eks_backend, cluster.name, addon["addonName"]), action="delete", owner=_tag(addon["tags"], "onto:owner"), done=gone)
        return ActionResult({"addon": _addon_json(cluster, addon)})

    def describe_addon_versions(self):
        """DescribeAddonVersions: the add-ons AWS offers, each with its
        versions and, per Kubernetes version, whether it is the default."""
        wanted = self._get_param("addonName")
        k8s = self._get_param("kubernetesVersion")
        out = []
        for name in sorted(ADDON_CATALOG):
            if wanted and name != wanted:
                continue
            versions = []
            for k in KUBERNETES:
                if k8s and k != k8s:
                    continue
                versions.append(
                    {
                        "addonVersion": _default_version(name, k),
                        "architecture": ["amd64", "arm64"],
                        "compatibilities": [{"clusterVersion": k, "platformVersions": ["*"], "defaultVersion": True}],
                        "requiresConfiguration": False,
                    }
                )
            out.append({"addonName": name, "type": "networking", "addonVersions": versions, "owner": "aws"})
        return ActionResult({"addons": out})

    for f in (create_addon, describe_addon, list_addons, update_addon, delete_addon, describe_addon_versions):
        setattr(responses.EKSResponse, f.__name__, f)


# ---- access entries ----------------------------------------------------------


def _access_entries() -> None:
    def entry_cluster(self):
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        mode = (getattr(cluster, "access_config", None) or {}).get("authenticationMode", "CONFIG_MAP")
        if mode == "CONFIG_MAP":
            raise _error(
                InvalidRequestException,
                "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
                cluster=cluster.name,
            )
        return cluster

    def principal(self):
        return unquote(self._get_param("principalArn") or json.loads(self.body or "{}").get("principalArn", ""))

    def entry(self, cluster, arn):
        found = _state(cluster)["access"].get(arn)
        if found is None:
            raise _error(ResourceNotFoundException, f"The specified principalArn could not be found: {arn}", cluster=cluster.name)
        return found

    def public(e):
        return {k: v for k, v in e.items() if k != "policies"}

    def create_access_entry(self):
        """CreateAccessEntry: needs authentication mode API or
        API_AND_CONFIG_MAP (InvalidRequestException otherwise); a principal
        that has an entry is ResourceInUseException."""
        cluster = entry_cluster(self)
        arn = principal(self)
        body = json.loads(self.body or "{}")
        entries = _state(cluster)["access"]
        if arn in entries:
            raise _error(ResourceInUseException, f"The specified access entry resource is already in use on this cluster: {arn}", cluster=cluster.name)
        e = {
            "clusterName": cluster.name,
            "principalArn": arn,
            "kubernetesGroups": body.get("kubernetesGroups") or [],
            "accessEntryArn": f"arn:aws:eks:{self.eks_backend.region_name}:{self.eks_backend.account_id}:access-entry/{cluster.name}/{random.uuid4()}",
            "createdAt": utcnow(),
            "modifiedAt": utcnow(),
            "tags": body.get("tags") or {},
            "username": body.get("username") or arn,
            "type": body.get("type") or "STANDARD",
            "policies": {},
        }
        entries[arn] = e
        return ActionResult({"accessEntry": public(e)})

    def describe_access_entry(self):
        """DescribeAccessEntry: ResourceNotFoundException when absent."""
        cluster = entry_cluster(self)
        return ActionResult({"accessEntry": public(entry(self, cluster, principal(self)))})

    def list_access_entries(self):
        """ListAccessEntries: the principals with an entry."""
        cluster = entry_cluster(self)
        return ActionResult({"accessEntries": sorted(_state(cluster)["access"])})

    def delete_access_entry(self):
        """DeleteAccessEntry: the entry and its policy associations go."""
        cluster = entry_cluster(self)
        arn = principal(self)
        entry(self, cluster, arn)
        del _state(cluster)["access"][arn]
        return ActionResult({})

    def associate_access_policy(self):
        """AssociateAccessPolicy: one of AWS's cluster access policies
        (`arn:aws:eks::aws:cluster-access-policy/...`, otherwise
        InvalidParameterException) with a `cluster` or `namespace` scope."""
        cluster = entry_cluster(self)
        arn = principal(self)
        e = entry(self, cluster, arn)
        body = json.loads(self.body or "{}")
        policy = body.get("policyArn", "")
        if not policy.split(":cluster-access-policy/")[0].startswith("arn:") or ":cluster-access-policy/" not in policy:
            raise _error(InvalidParameterException, f"The policyArn {policy} is not a cluster access policy.", cluster=cluster.name)
        scope = body.get("accessScope") or {}
        if scope.get("type") not in ("cluster", "namespace"):
            raise _error(InvalidParameterException, "accessScope.type must be cluster or namespace.", cluster=cluster.name)
        now = utcnow()
        e["policies"][policy] = {"policyArn": policy, "accessScope": scope, "associatedAt": now, "modifiedAt": now}
        return ActionResult({"clusterName": cluster.name, "principalArn": arn, "associatedAccessPolicy": e["policies"][policy]})

    def list_associated_access_policies(self):
        """ListAssociatedAccessPolicies: an entry's policies and scopes."""
        cluster = entry_cluster(self)
        arn = principal(self)
        e = entry(self, cluster, arn)
        return ActionResult({"clusterName": cluster.name, "principalArn": arn, "associatedAccessPolicies": list(e["policies"].values())})

    def disassociate_access_policy(self):
        """DisassociateAccessPolicy: removes one policy from an entry."""
        cluster = entry_cluster(self)
        e = entry(self, cluster, principal(self))
        e["policies"].pop(unquote(self._get_param("policyArn") or ""), None)
        return ActionResult({})

    for f in (
        create_access_entry,
        describe_access_entry,
        list_access_entries,
        delete_access_entry,
        associate_access_policy,
        list_associated_access_policies,
        disassociate_access_policy,
    ):
        setattr(responses.EKSResponse, f.__name__, f)
