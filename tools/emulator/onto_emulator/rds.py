"""RDS: DB instances over time, held modifications, read replicas and
their promotion, replicated automated backups."""

from __future__ import annotations

import uuid

from moto.core.utils import utcnow
from moto.rds import exceptions, models, responses
from moto.rds.models import rds_backends
from moto.core.responses import ActionResult

from . import clock

# AWS-like durations, in AWS seconds.
CREATE = [("creating", 300), ("backing-up", 60)]
REPLICA_SAME_REGION = [("creating", 420)]
REPLICA_CROSS_REGION = [("creating", 600)]
MODIFY = [("modifying", 120)]
RESIZE = [("modifying", 420)]
UPGRADE = [("upgrading", 600)]
PROMOTE = [("modifying", 90), ("rebooting", 30)]
DELETE = [("deleting", 240)]

# Modifications AWS holds for the maintenance window unless
# ApplyImmediately is set (ModifyDBInstance, "ApplyImmediately"), keyed by
# moto's parameter name, with their PendingModifiedValues member.
HELD = {
    "db_instance_class": "DBInstanceClass",
    "allocated_storage": "AllocatedStorage",
    "engine_version": "EngineVersion",
    "multi_az": "MultiAZ",
    "storage_type": "StorageType",
    "iops": "Iops",
    "storage_throughput": "StorageThroughput",
    "ca_certificate_identifier": "CACertificateIdentifier",
}

# What every read replica reports as CloudWatch `AWS/RDS ReplicaLag`.
REPLICA_LAG = {"seconds": 1.0}

# Instance identifier -> the status its creates end in instead of
# `available` (e.g. `incompatible-parameters`: RDS could not start it).
CREATE_OUTCOME: dict[str, str] = {}


def _owner(db) -> str | None:
    for t in getattr(db, "tags", None) or []:
        if t.get("Key") == "onto:owner":
            return t.get("Value")
    return None


def _key(db) -> str:
    return f"rds:db/{db.region}/{db.db_instance_identifier}"


def _ident(db) -> str:
    return f"{db.region}/{db.db_instance_identifier}"


def _major(version: str | None) -> str:
    return (version or "").split(".")[0]


def install() -> None:
    _subnet_group_modification()
    _instances_over_time()
    _held_modifications()
    _promotion()
    _automated_backup_replication()


def _subnet_group_modification() -> None:
    original = models.RDSBackend.modify_db_subnet_group

    def modify_db_subnet_group(self, subnet_name, description, subnets):
        """ModifyDBSubnetGroup changes a subnet group's subnets (and
        description); the group keeps existing under its name. moto 5.2.5
        takes the group out of the backend and never puts it back, so the
        group is lost; here it is stored again."""
        group = original(self, subnet_name, description, subnets)
        self.subnet_groups[subnet_name] = group
        return group

    models.RDSBackend.modify_db_subnet_group = modify_db_subnet_group


def _default_key(backend, db) -> None:
    """An encrypted instance created without a key uses the account's
    AWS-managed `aws/rds` key, and RDS reports that key's ARN (moto puts
    the placeholder "default_kms_key_id" there)."""
    if getattr(db, "kms_key_id", None) == "default_kms_key_id":
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"aws/rds/{backend.account_id}/{backend.region_name}")
        db.kms_key_id = f"arn:aws:kms:{backend.region_name}:{backend.account_id}:key/{key}"


def _instances_over_time() -> None:
    create = models.RDSBackend.create_db_instance
    replica = models.RDSBackend.create_db_instance_read_replica
    delete = models.RDSBackend.delete_db_instance

    def create_db_instance(self, db_kwargs):
        """CreateDBInstance: the instance is `creating`, then `backing-up`
        (the first automated backup), then `available` — minutes in AWS.
        It has no endpoint to connect to until it is available. An instance
        RDS cannot start ends `failed` or `incompatible-parameters` instead
        (set per identifier through the control API)."""
        db = create(self, db_kwargs)
        _default_key(self, db)
        if db.db_cluster_identifier is None:
            final = CREATE_OUTCOME.get(db.db_instance_identifier, "available")
            clock.progress(db, CREATE, final, kind="rds:db", ident=_ident(db), action="create", owner=_owner(db))
        return db

    def create_db_instance_read_replica(self, db_kwargs):
        """CreateDBInstanceReadReplica: the replica is `creating` until its
        copy of the source is restored and streaming, longer across
        regions; then `available`. In another region it uses that region's
        DB subnet group (DBSubnetGroupName), and its own tags."""
        source_id = db_kwargs["source_db_instance_identifier"]
        source = self.find_db_from_id(source_id)
        cross = source.region != self.region_name
        # moto resolves the subnet group in the source's region; AWS in the
        # replica's.
        group = db_kwargs.pop("db_subnet_group_name", None)
        if group:
            self.describe_db_subnet_groups(group)
        db = replica(self, db_kwargs)
        db.backend = self
        _default_key(self, db)
        if group:
            db.db_subnet_group_name = group
        db.tags = list(db_kwargs.get("tags") or [])
        db.status = "creating"
        db.pending_modified_values = None
        clock.progress(
            db,
            REPLICA_CROSS_REGION if cross else REPLICA_SAME_REGION,
            "available",
            kind="rds:db",
            ident=_ident(db),
            action="create",
            after_keys=[f"rds:db/{_ident(source)}"],
            owner=_owner(db),
        )
        return db

    def delete_db_instance(self, db_instance_identifier, final_db_snapshot_identifier=None, skip_final_snapshot=False, delete_automated_backups=True):
        """DeleteDBInstance: the instance is `deleting` for minutes (it still
        answers DescribeDBInstances, and its identifier cannot be reused),
        then DBInstanceNotFound. Deleting an instance already deleting is
        InvalidDBInstanceState."""
        existing = self.databases.get(db_instance_identifier)
        if existing is not None and existing.status == "deleting":
            raise exceptions.RDSClientError(
                "InvalidDBInstanceState", f"Instance {db_instance_identifier} is already being deleted."
            )
        db = delete(self, db_instance_identifier, final_db_snapshot_identifier, skip_final_snapshot, delete_automated_backups)
        self.databases[db_instance_identifier] = db

        def gone():
            if self.databases.get(db_instance_identifier) is db:
                del self.databases[db_instance_identifier]

        clock.progress(db, DELETE, None, kind="rds:db", ident=_ident(db), action="delete", owner=_owner(db), done=gone)
        return db

    models.RDSBackend.create_db_instance = create_db_instance
    models.RDSBackend.create_db_instance_read_replica = create_db_instance_read_replica
    models.RDSBackend.delete_db_instance = delete_db_instance


def _held_modifications() -> None:
    modify = models.RDSBackend.modify_db_instance

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        """ModifyDBInstance: with ApplyImmediately, the change starts now
        together with anything held before, and the instance is `modifying`
        (`upgrading` for an engine version); without it, changes that need an outage (class, storage,
        engine version, Multi-AZ, ...) are held in PendingModifiedValues
        until the maintenance window, and the rest apply now. An instance
        that is not `available` cannot be modified. A major version upgrade
        needs AllowMajorVersionUpgrade and a parameter group of the new
        family (or a default one)."""
        db = self.describe_db_instances(db_instance_identifier)[0]
        if db.status not in ("available", "storage-optimization"):
            raise exceptions.RDSClientError(
                "InvalidDBInstanceState",
                f"Database instance is not in available state (it is {db.status}).",
            )
        now = bool(db_kwargs.pop("apply_immediately", False))
        held = {}
        for name, member in HELD.items():
            if name in db_kwargs and db_kwargs[name] is not None:
                value = db_kwargs[name]
                if str(getattr(db, name, None)) != str(value):
                    held[name] = value
                if not now:
                    db_kwargs.pop(name)
        retention = db_kwargs.get("backup_retention_period")
        if retention is not None and not now and (int(retention) == 0) != (int(db.backup_retention_period or 0) == 0):
            # Turning backups on or off needs an outage: held too.
            held["backup_retention_period"] = db_kwargs.pop("backup_retention_period")
        if not now:
            pending = dict(getattr(db, "pending_modified_values", None) or {})
            for name, value in held.items():
                pending[HELD.get(name, "BackupRetentionPeriod")] = value
            db.pending_modified_values = pending or None
            db._onto_held = {**getattr(db, "_onto_held", {}), **held}
            return modify(self, db_instance_identifier, db_kwargs)
        # ApplyImmediately also applies what was held before.
        for name, value in (getattr(db, "_onto_held", None) or {}).items():
            if name not in db_kwargs:
                db_kwargs[name] = value
                held.setdefault(name, value)
        db._onto_held = {}
        db.pending_modified_values = None
        upgrade = "engine_version" in held and _major(held["engine_version"]) != _major(db.engine_version)
        steps = UPGRADE if "engine_version" in held else RESIZE if set(held) & {"db_instance_class", "allocated_storage", "multi_az", "storage_type"} else MODIFY
        if upgrade and not db_kwargs.get("allow_major_version_upgrade"):
            raise exceptions.RDSClientError(
                "InvalidParameterCombination",
                "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.",
            )
        if upgrade:
            group_name = db_kwargs.get("db_parameter_group_name") or db.db_parameter_group_name
            group = self.db_parameter_groups.get((group_name or "").lower())
            family = f"{db.engine}{_major(held['engine_version'])}"
            if group is not None and group.family and group.family != family:
                raise exceptions.RDSClientError(
                    "InvalidParameterCombination",
                    f"The parameter group {group_name} with DBParameterGroupFamily {group.family} can't be used for this instance. Use a parameter group with DBParameterGroupFamily {family}.",
                )
        result = modify(self, db_instance_identifier, db_kwargs)
        clock.progress(result, steps, "available", kind="rds:db", ident=_ident(result), action="modify", owner=_owner(result))
        return result

    models.RDSBackend.modify_db_instance = modify_db_instance


def maintenance_window() -> list[str]:
    """Every instance's maintenance window arrives: its held modifications
    are applied (the instance is `modifying`, then `available`)."""
    applied = []
    for account in rds_backends.values():
        for backend in account.values():
            for db in list(backend.databases.values()):
                held = getattr(db, "_onto_held", None)
                if not held:
                    continue
                db._onto_held = {}

                def apply(db=db, held=held):
                    for name, value in held.items():
                        setattr(db, name, value)
                    db.pending_modified_values = None

                steps = UPGRADE if "engine_version" in held else RESIZE
                clock.progress(db, steps, "available", kind="rds:db", ident=_ident(db), action="maintenance", owner=_owner(db), done=apply)
                applied.append(db.db_instance_identifier)
    return applied


def _promotion() -> None:
    def promote_read_replica(self, db_kwargs):
        """PromoteReadReplica: the replica stops replicating and becomes a
        standalone instance; it is `modifying`, then `rebooting`, then
        `available`, and from then on has no
        ReadReplicaSourceDBInstanceIdentifier (the source no longer lists
        it). An instance that is not a replica is InvalidDBInstanceState."""
        database_id = db_kwargs["db_instance_identifier"]
        db = self.describe_db_instances(database_id)[0]
        if not db.is_replica:
            raise exceptions.RDSClientError(
                "InvalidDBInstanceState", f"DB Instance {database_id} is not a read replica."
            )
        if db.status != "available":
            raise exceptions.RDSClientError(
                "InvalidDBInstanceState", f"DB Instance {database_id} is {db.status}, not available."
            )
        retention = db_kwargs.get("backup_retention_period")

        def standalone():
            source_id = db.source_db_instance_identifier
            db.is_replica = False
            db.source_db_instance_identifier = None
            if retention is not None:
                db.backup_retention_period = retention
            try:
                source = self.find_db_from_id(source_id)
            except Exception:  # the source is gone already
                return
            for ref in (db.db_instance_arn, db.db_instance_identifier):
                if ref in source.replicas:
                    source.replicas.remove(ref)

        clock.progress(db, PROMOTE, "available", kind="rds:db", ident=_ident(db), action="promote", owner=_owner(db), done=standalone)
        return db

    models.RDSBackend.promote_read_replica = promote_read_replica


class AutomatedBackupReplica:
    """A DBInstanceAutomatedBackup replicated to another region."""

    def __init__(self, source, region, retention, kms_key_id):
        self.source = source
        self.region = region
        self.db_instance_arn = source.db_instance_arn
        self.dbi_resource_id = source.dbi_resource_id
        self.db_instance_identifier = source.db_instance_identifier
        self.backup_retention_period = retention
        self.kms_key_id = kms_key_id
        self.engine = source.engine
        self.engine_version = source.engine_version
        self.allocated_storage = source.allocated_storage
        self.status = "pending"
        self.encrypted = True
        self.started = utcnow()
        self.arn = f"arn:aws:rds:{region}:{source.account_id}:auto-backup:ab-{source.db_instance_identifier}-{region}"

    def as_dict(self) -> dict:
        out = {
            "DBInstanceArn": self.db_instance_arn,
            "DbiResourceId": self.dbi_resource_id,
            "Region": self.source.region,
            "DBInstanceIdentifier": self.db_instance_identifier,
            "Status": self.status,
            "Engine": self.engine,
            "EngineVersion": self.engine_version,
            "AllocatedStorage": self.allocated_storage,
            "BackupRetentionPeriod": self.backup_retention_period,
            "Encrypted": self.encrypted,
            "DBInstanceAutomatedBackupsArn": self.arn,
        }
        if self.status == "replicating":
            out["RestoreWindow"] = {"EarliestTime": self.started, "LatestTime": utcnow()}
        if self.kms_key_id:
            out["KmsKeyId"] = self.kms_key_id
        return out


def _replicas_of(backend) -> dict:
    if not hasattr(backend, "_onto_backup_replicas"):
        backend._onto_backup_replicas = {}
    return backend._onto_backup_replicas


def _automated_backup_replication() -> None:
    describe = responses.RDSResponse.describe_db_instance_automated_backups

    def start_db_instance_automated_backups_replication(self):
        """StartDBInstanceAutomatedBackupsReplication, called in the
        destination region: the source instance's automated backups are
        replicated here (`pending`, then `replicating`). Starting it again for
        an instance already replicated here is refused
        (InvalidDBInstanceAutomatedBackupState)."""
        arn = self.params.get("SourceDBInstanceArn")
        source = self.backend.find_db_from_id(arn)
        replicas = _replicas_of(self.backend)
        if arn in replicas:
            raise exceptions.RDSClientError(
                "InvalidDBInstanceAutomatedBackupState", f"Automated backups of {arn} are already replicated to {self.region}."
            )
        backup = AutomatedBackupReplica(
            source, self.region, self.params.get("BackupRetentionPeriod") or 7, self.params.get("KmsKeyId")
        )
        replicas[arn] = backup
        clock.progress(backup, [("pending", 300)], "replicating", kind="rds:automated-backup", ident=f"{self.region}/{source.db_instance_identifier}", action="create", after_keys=[f"rds:db/{_ident(source)}"], owner=_owner(source))
        return ActionResult({"DBInstanceAutomatedBackup": backup.as_dict()})

    def stop_db_instance_automated_backups_replication(self):
        """StopDBInstanceAutomatedBackupsReplication, in the destination
        region: replication stops and the replicated backups are removed
        from that region (here at once). Unknown source:
        DBInstanceAutomatedBackupNotFound."""
        arn = self.params.get("SourceDBInstanceArn")
        backup = _replicas_of(self.backend).pop(arn, None)
        if backup is None:
            raise exceptions.RDSClientError(
                "DBInstanceAutomatedBackupNotFound", f"No replicated automated backups of {arn} in {self.region}."
            )
        backup.status = "stopping"
        return ActionResult({"DBInstanceAutomatedBackup": backup.as_dict()})

    def describe_db_instance_automated_backups(self):
        """DescribeDBInstanceAutomatedBackups: in a destination region it
        lists the backups replicated there (filter `db-instance-id` by ARN or
        identifier, or DbiResourceId); elsewhere moto's own answer."""
        replicas = list(_replicas_of(self.backend).values())
        if replicas:
            ident = self.params.get("DBInstanceIdentifier")
            resource = self.params.get("DbiResourceId")
            wanted = []
            for f in self.params.get("Filters") or []:
                if f.get("Name") in ("db-instance-id", "dbi-resource-id"):
                    wanted.extend(f.get("Values") or [])
            chosen = [
                b.as_dict()
                for b in replicas
                if (ident is None or ident in (b.db_instance_identifier, b.db_instance_arn))
                and (resource is None or resource == b.dbi_resource_id)
                and (not wanted or set(wanted) & {b.db_instance_identifier, b.db_instance_arn, b.dbi_resource_id})
            ]
            if chosen:
                return ActionResult({"DBInstanceAutomatedBackups": chosen})
        return describe(self)

    responses.RDSResponse.start_db_instance_automated_backups_replication = start_db_instance_automated_backups_replication
    responses.RDSResponse.stop_db_instance_automated_backups_replication = stop_db_instance_automated_backups_replication
    responses.RDSResponse.describe_db_instance_automated_backups = describe_db_instance_automated_backups


def replicas_in(account: str, region: str):
    """The read replicas of a region (for CloudWatch ReplicaLag)."""
    backend = rds_backends[account][region]
    return [db for db in backend.databases.values() if getattr(db, "is_replica", False)]
