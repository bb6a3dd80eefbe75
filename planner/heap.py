"""Keep freed heap memory in the process between parts, on glibc.

Estimating a large part allocates and frees about 200 MB of arrays (a
327,680-triangle sphere). With glibc's defaults, blocks over its adaptive
mapping threshold get fresh mappings, and the top of the heap goes back to the
system whenever more than the trim threshold (twice the mapping threshold, at
most 64 MiB) is free: every part then faults its pages in again, about 1.5 µs
per 4 KiB page (on that sphere, 27,000 faults: 45 ms of a 0.2 s estimate).
:func:`keep_freed_memory` pins the mapping threshold at glibc's adaptive
maximum (32 MiB on 64-bit Linux) and keeps up to 256 MiB of free heap, so a
run of estimates reuses its pages.

The CLI calls it at start (a short-lived process that estimates part after
part). The app does not: its sessions run in threads, each glibc arena would
keep its own 256 MiB, and a server's resident memory matters more than 40 ms.
Library code never calls it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

#: ``mallopt`` parameters (glibc ``malloc.h``).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: glibc's largest adaptive mapping threshold on 64-bit Linux. [bytes]
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
#: Free heap kept rather than returned: more than one large part's working
#: set (glibc's adaptive value is at most 64 MiB). [bytes]
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Pin glibc's mapping threshold at 32 MiB and its trim threshold at 256 MiB.

    Returns
    -------
    bool
        Whether they were set: False off glibc (macOS, Windows, musl), where
        nothing changes.

    Examples
    --------
    >>> keep_freed_memory() in (True, False)
    True
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    return mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1 and ok
