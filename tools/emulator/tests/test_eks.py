import boto3
import pytest
from botocore.exceptions import ClientError

from onto_emulator import clock, eks as emulated

ROLE = "arn:aws:iam::123456789012:role/editor-cluster"
NODE_ROLE = "arn:aws:iam::123456789012:role/editor-node"
ADMIN = "arn:aws:iam::123456789012:role/platform-admins"


def _code(e):
    return e.value.response["Error"]["Code"]


def _cluster(eks, version="1.31", mode=None, **kw):
    args = dict(name="editor", version=version, roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]})
    if mode:
        args["accessConfig"] = {"authenticationMode": mode}
    args.update(kw)
    return eks.create_cluster(**args)["cluster"]


def _status(eks):
    return eks.describe_cluster(name="editor")["cluster"]["status"]


def test_a_cluster_is_creating_for_minutes_and_node_groups_wait_for_it(aws, settle):
    eks = boto3.client("eks", "eu-west-1")
    assert _cluster(eks)["status"] == "CREATING"
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(clusterName="editor", nodegroupName="core", nodeRole=NODE_ROLE, subnets=["subnet-1"])
    assert _code(e) == "InvalidRequestException"
    clock.advance(601)
    assert _status(eks) == "ACTIVE"
    group = eks.create_nodegroup(clusterName="editor", nodegroupName="core", nodeRole=NODE_ROLE, subnets=["subnet-1"])
    assert group["nodegroup"]["status"] == "CREATING"
    settle()
    assert eks.describe_nodegroup(clusterName="editor", nodegroupName="core")["nodegroup"]["status"] == "ACTIVE"
    seconds, chain = clock.critical_path(clock.timeline())
    assert chain == ["create eks:cluster/eu-west-1/editor", "create eks:nodegroup/eu-west-1/editor/core"]


def test_a_cluster_with_node_groups_is_not_deleted(aws, settle):
    eks = boto3.client("eks", "eu-west-1")
    _cluster(eks)
    settle()
    eks.create_nodegroup(clusterName="editor", nodegroupName="core", nodeRole=NODE_ROLE, subnets=["subnet-1"])
    settle()
    eks.delete_nodegroup(clusterName="editor", nodegroupName="core")
    assert eks.describe_nodegroup(clusterName="editor", nodegroupName="core")["nodegroup"]["status"] == "DELETING"
    with pytest.raises(ClientError) as e:
        eks.delete_cluster(name="editor")
    assert _code(e) == "ResourceInUseException", "the node group is still deleting"
    settle()
    assert eks.delete_cluster(name="editor")["cluster"]["status"] == "DELETING"
    settle()
    with pytest.raises(ClientError) as e:
        eks.describe_cluster(name="editor")
    assert _code(e) == "ResourceNotFoundException"


def test_a_cluster_upgrades_one_minor_at_a_time(aws, settle):
    eks = boto3.client("eks", "eu-west-1")
    _cluster(eks, "1.31")
    settle()
    with pytest.raises(ClientError) as e:
        eks.update_cluster_version(name="editor", version="1.33")
    assert _code(e) == "InvalidParameterException"
    update = eks.update_cluster_version(name="editor", version="1.32")["update"]
    assert update["status"] == "InProgress"
    assert _status(eks) == "UPDATING"
    with pytest.raises(ClientError) as e:
        eks.update_cluster_version(name="editor", version="1.33")
    assert _code(e) == "ResourceInUseException"
    settle()
    got = eks.describe_update(name="editor", updateId=update["id"])["update"]
    assert got["status"] == "Successful"
    assert eks.describe_cluster(name="editor")["cluster"]["version"] == "1.32"
    assert eks.list_updates(name="editor")["updateIds"] == [update["id"]]


def test_node_group_updates_are_tracked(aws, settle):
    eks = boto3.client("eks", "eu-west-1")
    _cluster(eks, "1.31")
    settle()
    eks.create_nodegroup(
        clusterName="editor", nodegroupName="core", nodeRole=NODE_ROLE, subnets=["subnet-1"], version="1.31",
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 1},
    )
    settle()
    update = eks.update_nodegroup_config(
        clusterName="editor", nodegroupName="core", scalingConfig={"minSize": 2, "maxSize": 3, "desiredSize": 2}
    )["update"]
    assert update["status"] == "InProgress"
    settle()
    assert eks.describe_update(name="editor", nodegroupName="core", updateId=update["id"])["update"]["status"] == "Successful"
    with pytest.raises(ClientError) as e:
        eks.update_nodegroup_version(clusterName="editor", nodegroupName="core", version="1.32")
    assert _code(e) == "InvalidParameterException", "never above the cluster's version"
    eks.update_cluster_version(name="editor", version="1.32")
    settle()
    update = eks.update_nodegroup_version(clusterName="editor", nodegroupName="core")["update"]
    settle()
    assert eks.describe_update(name="editor", nodegroupName="core", updateId=update["id"])["update"]["status"] == "Successful"
    assert eks.describe_nodegroup(clusterName="editor", nodegroupName="core")["nodegroup"]["version"] == "1.32"


def test_add_ons_install_update_degrade_and_go(aws, settle):
    eks = boto3.client("eks", "eu-west-1")
    _cluster(eks, "1.31")
    settle()
    versions = eks.describe_addon_versions(addonName="coredns", kubernetesVersion="1.31")["addons"][0]["addonVersions"]
    default = [v["addonVersion"] for v in versions if v["compatibilities"][0]["defaultVersion"]]
    assert len(default) == 1
    with pytest.raises(ClientError) as e:
        eks.create_addon(clusterName="editor", addonName="not-an-addon")
    assert _code(e) == "InvalidParameterException"
    # CoreDNS runs pods: without nodes it cannot become healthy.
    eks.create_addon(clusterName="editor", addonName="coredns")
    settle()
    bare = eks.describe_addon(clusterName="editor", addonName="coredns")["addon"]
    assert (bare["status"], bare["health"]["issues"][0]["code"]) == ("DEGRADED", "InsufficientNumberOfReplicas")
    eks.delete_addon(clusterName="editor", addonName="coredns")
    eks.create_nodegroup(clusterName="editor", nodegroupName="core", nodeRole=NODE_ROLE, subnets=["subnet-1"])
    settle()
    assert eks.create_addon(clusterName="editor", addonName="coredns")["addon"]["status"] == "CREATING"
    with pytest.raises(ClientError) as e:
        eks.create_addon(clusterName="editor", addonName="coredns")
    assert _code(e) == "ResourceInUseException"
    settle()
    addon = eks.describe_addon(clusterName="editor", addonName="coredns")["addon"]
    assert (addon["status"], addon["addonVersion"]) == ("ACTIVE", default[0])
    assert eks.list_addons(clusterName="editor")["addons"] == ["coredns"]

    issue = {"code": "InsufficientNumberOfReplicas", "message": "The add-on is unhealthy because it doesn't have the desired number of replicas."}
    emulated.set_addon_health("aws-ebs-csi-driver", [issue])
    eks.create_addon(clusterName="editor", addonName="aws-ebs-csi-driver")
    settle()
    addon = eks.describe_addon(clusterName="editor", addonName="aws-ebs-csi-driver")["addon"]
    assert addon["status"] == "DEGRADED"
    assert addon["health"]["issues"][0]["code"] == "InsufficientNumberOfReplicas"
    emulated.set_addon_health("aws-ebs-csi-driver", [])
    assert eks.describe_addon(clusterName="editor", addonName="aws-ebs-csi-driver")["addon"]["status"] == "ACTIVE"

    update = eks.update_addon(clusterName="editor", addonName="coredns", configurationValues='{"replicaCount":3}')["update"]
    assert eks.describe_addon(clusterName="editor", addonName="coredns")["addon"]["status"] == "UPDATING"
    settle()
    assert eks.describe_update(name="editor", addonName="coredns", updateId=update["id"])["update"]["status"] == "Successful"
    assert eks.describe_addon(clusterName="editor", addonName="coredns")["addon"]["configurationValues"] == '{"replicaCount":3}'
    eks.delete_addon(clusterName="editor", addonName="coredns")
    settle()
    with pytest.raises(ClientError) as e:
        eks.describe_addon(clusterName="editor", addonName="coredns")
    assert _code(e) == "ResourceNotFoundException"


def test_access_entries_need_the_api_authentication_mode(aws, settle):
    eks = boto3.client("eks", "eu-west-1")
    _cluster(eks)
    settle()
    with pytest.raises(ClientError) as e:
        eks.create_access_entry(clusterName="editor", principalArn=ADMIN)
    assert _code(e) == "InvalidRequestException"
    eks.delete_cluster(name="editor")
    settle()
    assert _cluster(eks, mode="API_AND_CONFIG_MAP")["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
    settle()
    eks.create_access_entry(clusterName="editor", principalArn=ADMIN)
    with pytest.raises(ClientError) as e:
        eks.create_access_entry(clusterName="editor", principalArn=ADMIN)
    assert _code(e) == "ResourceInUseException"
    policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    eks.associate_access_policy(clusterName="editor", principalArn=ADMIN, policyArn=policy, accessScope={"type": "cluster"})
    assert eks.list_access_entries(clusterName="editor")["accessEntries"] == [ADMIN]
    listed = eks.list_associated_access_policies(clusterName="editor", principalArn=ADMIN)["associatedAccessPolicies"]
    assert [p["policyArn"] for p in listed] == [policy]
    eks.disassociate_access_policy(clusterName="editor", principalArn=ADMIN, policyArn=policy)
    eks.delete_access_entry(clusterName="editor", principalArn=ADMIN)
    with pytest.raises(ClientError) as e:
        eks.describe_access_entry(clusterName="editor", principalArn=ADMIN)
    assert _code(e) == "ResourceNotFoundException"
