"""EC2: NAT gateways over time."""

from __future__ import annotations

from moto.ec2.models import nat_gateways

from . import clock

# AWS-like durations, in AWS seconds.
CREATE = [("pending", 90)]
DELETE = [("deleting", 60)]


def _owner(resource) -> str | None:
    for t in resource.get_tags():
        if t.get("key", t.get("Key")) == "onto:owner":
            return t.get("value", t.get("Value"))
    return None


def install() -> None:
    create = nat_gateways.NatGatewayBackend.create_nat_gateway
    delete = nat_gateways.NatGatewayBackend.delete_nat_gateway

    def create_nat_gateway(self, *args, **kwargs):
        """CreateNatGateway: the gateway is `pending` for a minute or two,
        then `available`; routes may name it from the start."""
        gateway = create(self, *args, **kwargs)
        clock.progress(gateway, CREATE, "available", kind="ec2:nat-gateway", ident=f"{self.region_name}/{gateway.id}", action="create", attr="state", owner=_owner(gateway))
        return gateway

    def delete_nat_gateway(self, nat_gateway_id):
        """DeleteNatGateway: the gateway is `deleting`, then `deleted` (and
        still described for a while, as AWS does)."""
        gateway = delete(self, nat_gateway_id)
        clock.progress(gateway, DELETE, "deleted", kind="ec2:nat-gateway", ident=f"{self.region_name}/{nat_gateway_id}", action="delete", attr="state", owner=_owner(gateway))
        return gateway

    nat_gateways.NatGatewayBackend.create_nat_gateway = create_nat_gateway
    nat_gateways.NatGatewayBackend.delete_nat_gateway = delete_nat_gateway
