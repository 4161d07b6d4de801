"""Give memory freed by a finished stage back to the operating system.

Reading a long CSV leaves freed blocks in Arrow's allocator and in the C library's heap;
both keep them for reuse, so the process's resident memory stays near the reading peak while
the analysis allocates anew. Handing them back between stages keeps the peak of a 10-hour
session within budget. Best effort: where an allocator offers no such call, nothing happens.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util


def give_back_memory() -> None:
    """Return freed memory of Arrow's pool and (glibc) of the C heap to the system."""
    with contextlib.suppress(Exception):
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    with contextlib.suppress(Exception):
        name = ctypes.util.find_library("c")
        if name:
            libc = ctypes.CDLL(name)
            if hasattr(libc, "malloc_trim"):
                libc.malloc_trim(0)
