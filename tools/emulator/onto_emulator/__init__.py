"""onto's AWS emulator: moto 5.2.5 with corrections and additions where
moto stops short of the AWS API reference.

Each module patches one service. Every patched or added handler says, in
its docstring, which AWS operation it models and the documented behaviour
it follows. `install()` applies them all; `python -m onto_emulator` then
runs moto's server (same arguments as `moto_server`).
"""

from . import ecr, elasticache, rds

PATCHES = (ecr, elasticache, rds)


def install() -> None:
    for module in PATCHES:
        module.install()
