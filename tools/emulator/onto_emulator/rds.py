"""RDS."""

from moto.rds import models


def install() -> None:
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
