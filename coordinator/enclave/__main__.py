"""`python -m coordinator.enclave`: the enclave image's entrypoint (see entrypoint.py)."""

import sys

from coordinator.enclave.entrypoint import main

if __name__ == "__main__":
    sys.exit(main())
