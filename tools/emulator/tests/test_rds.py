import boto3


def test_a_modified_subnet_group_keeps_existing(vpc):
    _, subnets = vpc
    rds = boto3.client("rds", "eu-west-1")
    rds.create_db_subnet_group(
        DBSubnetGroupName="db", DBSubnetGroupDescription="d", SubnetIds=subnets[:2]
    )
    rds.modify_db_subnet_group(DBSubnetGroupName="db", SubnetIds=subnets[1:])
    group = rds.describe_db_subnet_groups(DBSubnetGroupName="db")["DBSubnetGroups"][0]
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets[1:])
