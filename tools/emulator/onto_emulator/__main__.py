"""Runs the emulator: `python -m onto_emulator -H 127.0.0.1 -p PORT`."""

import os
import sys

from . import install


def main() -> None:
    # AWS-managed IAM policies (AmazonEKSClusterPolicy, ...) exist in every
    # account; moto loads them only when asked.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    install()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
