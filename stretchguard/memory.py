"""Give memory freed by a finished stage back to the operating system, or keep it for reuse.

Reading a long CSV leaves freed blocks in Arrow's allocator and in the C library's heap;
both keep them for reuse, so the process's resident memory stays near the reading peak while
the analysis allocates anew. Handing them back between stages keeps the peak of a 10-hour
session within budget. Best effort: where an allocator offers no such call, nothing happens.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os


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


M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
KEEP_BLOCKS_BELOW_BYTES = 1 << 25
"""With :func:`keep_freed_memory`, blocks below this size come from the C heap (32 MB, the
most glibc accepts on 64-bit; a 1-h sensor's largest array is 12 MB)."""
KEEP_TOP_BYTES = (1 << 31) - 1
"""…and up to this much free memory at the heap's top is kept rather than trimmed."""


def keep_freed_memory() -> bool:
    """Ask the C heap (glibc) to keep freed memory for reuse; True where it agreed.

    By default glibc maps each large block (a whole-session array) fresh from the system and
    unmaps it when freed, so every stage's temporaries fault in new zeroed pages: on the 1-h
    benchmark session half of the process's 220 k page faults, about 0.3 s of kernel time.
    Served from the heap and not trimmed, freed blocks are reused instead, at the cost of some
    resident memory (+40 MB there). Setting the trim threshold alone would be worse: it turns
    off glibc's adaptive mapping threshold, so every block over 128 kB would be mapped afresh.

    For a process that analyses one short session and exits (``stretchguard analyse``); not
    for long sessions, whose memory budget relies on :func:`give_back_memory` (which still
    trims on request). Best effort, like that one.
    """
    with contextlib.suppress(Exception):
        name = ctypes.util.find_library("c")
        if name:
            libc = ctypes.CDLL(name)
            if hasattr(libc, "mallopt"):
                kept = libc.mallopt(M_MMAP_THRESHOLD, KEEP_BLOCKS_BELOW_BYTES)
                return bool(kept and libc.mallopt(M_TRIM_THRESHOLD, KEEP_TOP_BYTES))
    return False


ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
"""Arrow's own setting of its allocator; when set, :func:`arrow_on_c_heap` leaves it alone."""


def arrow_on_c_heap() -> bool:
    """Let Arrow allocate from the C library's heap (its system pool) in this process.

    Arrow's default allocator (mimalloc in the Linux wheels) backs the CSV parser's many
    block-sized buffers with transparent huge pages that the kernel zeroes on first touch;
    through ``malloc`` the read needs far less kernel time and its freed pages are reused by
    the analysis that follows (the same values: only where they are stored changes). On the
    1-h benchmark session the whole process's system time fell by a third and its peak
    memory a little (docs/benchmarks.md). For a process that reads one session and exits
    (``stretchguard analyse``). Returns True when the pool was switched; False when
    ``ARROW_DEFAULT_MEMORY_POOL`` already chooses, or Arrow refuses.
    """
    if os.environ.get(ARROW_POOL_VARIABLE):
        return False
    with contextlib.suppress(Exception):
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
        return True
    return False
