"""The emulator's own tests: AWS's documented behaviour, checked with
boto3 (the AWS SDK for Python) against the patched moto, in-process, or
through the emulator's HTTP server where the protocol matters."""

import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")

import onto_emulator  # noqa: E402
from onto_emulator import clock  # noqa: E402

onto_emulator.install()


@pytest.fixture(autouse=True)
def fresh_clock():
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def aws():
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def settle():
    """Lets every scheduled change happen (AWS time passes)."""
    return clock.settle


@pytest.fixture
def vpc(aws):
    import boto3

    ec2 = boto3.client("ec2", "eu-west-1")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("abc")
    ]
    return vpc_id, subnets


@pytest.fixture
def endpoint():
    """The emulator's HTTP server on a free loopback port."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
