"""ECR."""

from moto.ecr import models
from moto.ecr.exceptions import InvalidParameterException, ValidationException

MAX_RULES = 10
MAX_DESTINATIONS = 25
MAX_FILTERS = 100


def install() -> None:
    def put_replication_configuration(self, replication_config):
        """PutReplicationConfiguration: a registry's replication
        configuration holds up to 10 rules, each with up to 25 destinations
        and 100 repository filters; a destination may not be the source
        registry itself. moto 5.2.5 refuses more than one rule ("This
        feature is disabled")."""
        rules = replication_config["rules"]
        if len(rules) > MAX_RULES:
            raise ValidationException(
                f"Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'Member must have length less than or equal to {MAX_RULES}'"
            )
        for rule in rules:
            if len(rule["destinations"]) > MAX_DESTINATIONS or len(rule.get("repositoryFilters", [])) > MAX_FILTERS:
                raise ValidationException("Invalid parameter at 'replicationConfiguration': too many destinations or filters")
            for dest in rule["destinations"]:
                if dest["region"] == self.region_name and dest["registryId"] == self.account_id:
                    raise InvalidParameterException(
                        "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: "
                        "'Replication destination cannot be the same as the source registry'"
                    )
        self.replication_config = replication_config
        return {"replicationConfiguration": replication_config}

    models.ECRBackend.put_replication_configuration = put_replication_configuration
