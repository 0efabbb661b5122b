"""Memory the web process gives back: large buffers return to the system when freed."""

from __future__ import annotations

import ctypes
import ctypes.util

# glibc's mallopt() parameter: allocations at least this large are served by mmap.
_M_MMAP_THRESHOLD = -3


def large_allocations_returned(*, threshold: int = 1 << 20) -> bool:
    """Serve allocations of `threshold` bytes or more with mmap, which frees them back to
    the system at once. By default glibc raises that threshold after the first large free,
    and then every thread's arena keeps the largest image it ever decoded, so a threaded
    server grows with its thread count (issue 23: ten threads, 0.7 GB instead of 0.25).

    False (and nothing changed) where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
