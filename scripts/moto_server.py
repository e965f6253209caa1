"""Starts the local AWS emulator (moto_server) with the gaps Gantry's tests
meet filled in the way AWS behaves, so providers need no emulator special
cases. Each fix names the gap; remove it once moto closes the gap.

- MemoryDB access control lists (CreateACL, DescribeACLs, UpdateACL,
  DeleteACL): moto has none; `moto_memorydb_acl.py` adds them.

Usage: python moto_server.py [moto_server arguments]
"""

import sys

import moto_memorydb_acl  # noqa: F401  (patches moto on import)
from moto.server import main

if __name__ == "__main__":
    sys.exit(main())
