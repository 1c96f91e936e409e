"""onto's AWS emulator: moto 5.2.5 with additions and corrections where
moto stops short of the AWS API reference, and AWS's time.

Each service module patches one service; every patched or added handler
says, in its docstring, which AWS operation it models and the documented
behaviour it follows. `clock` keeps AWS-like durations (scaled by
`ONTO_EMULATOR_TIME_SCALE`); `server` wraps moto's HTTP front (latency,
call counts, the CBOR protocol, the control API in `control`).

`install()` applies them all; `python -m onto_emulator` then runs moto's
server (same arguments as `moto_server`).
"""

from . import cloudwatch, ec2, ecr, eks, elasticache, rds, server

PATCHES = (cloudwatch, ec2, ecr, eks, elasticache, rds, server)


def install() -> None:
    for module in PATCHES:
        module.install()
