import boto3


def rule(region, prefix):
    return {
        "destinations": [{"region": region, "registryId": "123456789012"}],
        "repositoryFilters": [{"filter": prefix, "filterType": "PREFIX_MATCH"}],
    }


def test_a_registry_replicates_with_several_rules(aws):
    ecr = boto3.client("ecr", "eu-west-1")
    rules = [rule("eu-central-1", "a/"), rule("eu-central-1", "a/"), rule("us-east-1", "b/")]
    ecr.put_replication_configuration(replicationConfiguration={"rules": rules})
    got = ecr.describe_registry()["replicationConfiguration"]["rules"]
    assert [r["repositoryFilters"][0]["filter"] for r in got] == ["a/", "a/", "b/"]


def test_at_most_ten_rules_and_never_to_itself(aws):
    import pytest
    from botocore.exceptions import ClientError

    ecr = boto3.client("ecr", "eu-west-1")
    with pytest.raises(ClientError):
        ecr.put_replication_configuration(
            replicationConfiguration={"rules": [rule("eu-central-1", f"p{i}/") for i in range(11)]}
        )
    with pytest.raises(ClientError) as e:
        ecr.put_replication_configuration(replicationConfiguration={"rules": [rule("eu-west-1", "x/")]})
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
