import boto3
import pytest
from botocore.exceptions import ClientError

from onto_emulator import clock


def _db(rds, name="editor", **kw):
    args = dict(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.4",
        MasterUsername="onto",
        MasterUserPassword="correct-horse-battery",
        AllocatedStorage=20,
    )
    args.update(kw)
    return rds.create_db_instance(**args)["DBInstance"]


def _subnets(region):
    ec2 = boto3.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]


def _status(rds, name="editor"):
    return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DBInstanceStatus"]


def test_a_modified_subnet_group_keeps_existing(vpc):
    _, subnets = vpc
    rds = boto3.client("rds", "eu-west-1")
    rds.create_db_subnet_group(
        DBSubnetGroupName="db", DBSubnetGroupDescription="d", SubnetIds=subnets[:2]
    )
    rds.modify_db_subnet_group(DBSubnetGroupName="db", SubnetIds=subnets[1:])
    group = rds.describe_db_subnet_groups(DBSubnetGroupName="db")["DBSubnetGroups"][0]
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets[1:])


def test_an_instance_is_creating_then_backing_up_then_available(aws):
    rds = boto3.client("rds", "eu-west-1")
    assert _db(rds)["DBInstanceStatus"] == "creating"
    clock.advance(301)
    assert _status(rds) == "backing-up"
    clock.advance(60)
    assert _status(rds) == "available"


def test_an_instance_rds_cannot_start_ends_incompatible(aws):
    from onto_emulator import rds as emulated

    rds = boto3.client("rds", "eu-west-1")
    emulated.CREATE_OUTCOME["editor"] = "incompatible-parameters"
    try:
        _db(rds)
        clock.advance(361)
        assert _status(rds) == "incompatible-parameters"
        # It can still be deleted.
        rds.delete_db_instance(DBInstanceIdentifier="editor", SkipFinalSnapshot=True)
    finally:
        emulated.CREATE_OUTCOME.clear()


def test_an_instance_that_is_not_available_cannot_be_modified(aws):
    rds = boto3.client("rds", "eu-west-1")
    _db(rds)
    with pytest.raises(ClientError) as e:
        rds.modify_db_instance(DBInstanceIdentifier="editor", BackupRetentionPeriod=3, ApplyImmediately=True)
    assert e.value.response["Error"]["Code"] == "InvalidDBInstanceState"


def test_changes_wait_for_the_maintenance_window_unless_applied_immediately(aws, settle):
    rds = boto3.client("rds", "eu-west-1")
    _db(rds)
    settle()
    out = rds.modify_db_instance(DBInstanceIdentifier="editor", DBInstanceClass="db.t4g.medium", BackupRetentionPeriod=3)
    db = out["DBInstance"]
    assert db["PendingModifiedValues"] == {"DBInstanceClass": "db.t4g.medium"}
    assert db["DBInstanceClass"] == "db.t4g.micro"
    assert db["BackupRetentionPeriod"] == 3, "a retention change between non-zero values is applied now"
    from onto_emulator import rds as emulated

    assert emulated.maintenance_window() == ["editor"]
    assert _status(rds) == "modifying"
    settle()
    db = rds.describe_db_instances(DBInstanceIdentifier="editor")["DBInstances"][0]
    assert db["DBInstanceClass"] == "db.t4g.medium"
    assert not db.get("PendingModifiedValues")


def test_apply_immediately_modifies_now_and_takes_what_was_held(aws, settle):
    rds = boto3.client("rds", "eu-west-1")
    _db(rds)
    settle()
    rds.modify_db_instance(DBInstanceIdentifier="editor", AllocatedStorage=50)
    out = rds.modify_db_instance(DBInstanceIdentifier="editor", DBInstanceClass="db.t4g.medium", ApplyImmediately=True)
    assert out["DBInstance"]["DBInstanceStatus"] == "modifying"
    settle()
    db = rds.describe_db_instances(DBInstanceIdentifier="editor")["DBInstances"][0]
    assert (db["DBInstanceClass"], db["AllocatedStorage"]) == ("db.t4g.medium", 50)
    assert not db.get("PendingModifiedValues")


def test_a_major_upgrade_needs_allow_major_version_upgrade(aws, settle):
    rds = boto3.client("rds", "eu-west-1")
    _db(rds)
    settle()
    with pytest.raises(ClientError) as e:
        rds.modify_db_instance(DBInstanceIdentifier="editor", EngineVersion="17.2", ApplyImmediately=True)
    assert e.value.response["Error"]["Code"] == "InvalidParameterCombination"
    out = rds.modify_db_instance(
        DBInstanceIdentifier="editor", EngineVersion="17.2", AllowMajorVersionUpgrade=True, ApplyImmediately=True
    )
    assert out["DBInstance"]["DBInstanceStatus"] == "upgrading"
    settle()
    assert rds.describe_db_instances(DBInstanceIdentifier="editor")["DBInstances"][0]["EngineVersion"] == "17.2"


def test_a_major_upgrade_needs_a_parameter_group_of_the_new_family(aws, settle):
    rds = boto3.client("rds", "eu-west-1")
    for family in ("postgres16", "postgres17"):
        rds.create_db_parameter_group(DBParameterGroupName=f"editor-{family}", DBParameterGroupFamily=family, Description="d")
    _db(rds, DBParameterGroupName="editor-postgres16")
    settle()
    with pytest.raises(ClientError) as e:
        rds.modify_db_instance(
            DBInstanceIdentifier="editor", EngineVersion="17.2", AllowMajorVersionUpgrade=True, ApplyImmediately=True
        )
    assert _code(e) == "InvalidParameterCombination"
    rds.modify_db_instance(
        DBInstanceIdentifier="editor", EngineVersion="17.2", AllowMajorVersionUpgrade=True, ApplyImmediately=True,
        DBParameterGroupName="editor-postgres17",
    )
    settle()
    db = rds.describe_db_instances(DBInstanceIdentifier="editor")["DBInstances"][0]
    assert (db["EngineVersion"], db["DBParameterGroups"][0]["DBParameterGroupName"]) == ("17.2", "editor-postgres17")


def _code(e):
    return e.value.response["Error"]["Code"]


def test_a_deleted_instance_is_deleting_then_gone(aws, settle):
    rds = boto3.client("rds", "eu-west-1")
    _db(rds)
    settle()
    rds.delete_db_instance(DBInstanceIdentifier="editor", SkipFinalSnapshot=True)
    assert _status(rds) == "deleting"
    with pytest.raises(ClientError) as e:
        _db(rds)
    assert e.value.response["Error"]["Code"] == "DBInstanceAlreadyExists"
    settle()
    with pytest.raises(ClientError) as e:
        _status(rds)
    assert e.value.response["Error"]["Code"] == "DBInstanceNotFound"


def test_a_promoted_replica_stands_alone(aws, settle):
    primary_rds = boto3.client("rds", "eu-west-1")
    dr = boto3.client("rds", "eu-central-1")
    source = _db(primary_rds)
    settle()
    with pytest.raises(ClientError) as e:
        dr.create_db_instance_read_replica(
            DBInstanceIdentifier="editor-dr", SourceDBInstanceIdentifier=source["DBInstanceArn"], DBSubnetGroupName="dr"
        )
    assert _code(e) == "DBSubnetGroupNotFoundFault", "the subnet group is looked up in the replica's region"
    dr_subnets = _subnets("eu-central-1")
    dr.create_db_subnet_group(DBSubnetGroupName="dr", DBSubnetGroupDescription="d", SubnetIds=dr_subnets)
    replica = dr.create_db_instance_read_replica(
        DBInstanceIdentifier="editor-dr", SourceDBInstanceIdentifier=source["DBInstanceArn"], DBSubnetGroupName="dr"
    )["DBInstance"]
    assert replica["DBInstanceStatus"] == "creating"
    assert sorted(s["SubnetIdentifier"] for s in replica["DBSubnetGroup"]["Subnets"]) == sorted(dr_subnets)
    settle()
    replica = dr.describe_db_instances(DBInstanceIdentifier="editor-dr")["DBInstances"][0]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == source["DBInstanceArn"]
    primary = primary_rds.describe_db_instances(DBInstanceIdentifier="editor")["DBInstances"][0]
    assert len(primary["ReadReplicaDBInstanceIdentifiers"]) == 1

    assert dr.promote_read_replica(DBInstanceIdentifier="editor-dr")["DBInstance"]["DBInstanceStatus"] == "modifying"
    settle()
    replica = dr.describe_db_instances(DBInstanceIdentifier="editor-dr")["DBInstances"][0]
    assert replica["DBInstanceStatus"] == "available"
    assert "ReadReplicaSourceDBInstanceIdentifier" not in replica
    primary = primary_rds.describe_db_instances(DBInstanceIdentifier="editor")["DBInstances"][0]
    assert primary["ReadReplicaDBInstanceIdentifiers"] == []
    with pytest.raises(ClientError) as e:
        dr.promote_read_replica(DBInstanceIdentifier="editor-dr")
    assert e.value.response["Error"]["Code"] == "InvalidDBInstanceState"


def test_automated_backups_replicate_to_another_region(aws, settle):
    primary_rds = boto3.client("rds", "eu-west-1")
    dr = boto3.client("rds", "eu-central-1")
    source = _db(primary_rds, BackupRetentionPeriod=7)
    settle()
    arn = source["DBInstanceArn"]
    started = dr.start_db_instance_automated_backups_replication(SourceDBInstanceArn=arn, BackupRetentionPeriod=7)
    assert started["DBInstanceAutomatedBackup"]["Status"] == "pending"
    settle()
    backups = dr.describe_db_instance_automated_backups(DBInstanceIdentifier="editor")["DBInstanceAutomatedBackups"]
    assert [(b["DBInstanceArn"], b["Status"], b["Region"]) for b in backups] == [(arn, "replicating", "eu-west-1")]
    assert "RestoreWindow" in backups[0]
    with pytest.raises(ClientError) as e:
        dr.start_db_instance_automated_backups_replication(SourceDBInstanceArn=arn)
    assert e.value.response["Error"]["Code"] == "InvalidDBInstanceAutomatedBackupState"
    dr.stop_db_instance_automated_backups_replication(SourceDBInstanceArn=arn)
    with pytest.raises(ClientError) as e:
        dr.stop_db_instance_automated_backups_replication(SourceDBInstanceArn=arn)
    assert e.value.response["Error"]["Code"] == "DBInstanceAutomatedBackupNotFound"
