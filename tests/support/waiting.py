"""Waiting for asynchronous work in the end-to-end tests.

A fixed deadline either wastes time or fails on a loaded machine. `wait_until_done` waits as
long as the work keeps moving: it fails only when nothing finished for `stall` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until_done(remaining: Callable[[], int], *, stall: float = 90, what: str = "") -> None:
    """Wait until `remaining()` is 0, for as long as it keeps going down.

    `stall` is how long one item may take on a loaded machine; the total wait therefore
    scales with the number of items.
    """
    left = remaining()
    deadline = time.monotonic() + stall
    while left:
        time.sleep(0.2)
        now_left = remaining()
        if now_left < left:
            left, deadline = now_left, time.monotonic() + stall
        elif time.monotonic() > deadline:
            raise AssertionError(f"No progress for {stall:.0f}s on {what}: {left} left")
    return


def wait_for(condition: Callable[[], bool], *, timeout: float = 30, what: str = "") -> None:
    """Wait for one event that needs no more than `timeout` seconds of work."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what or condition}")
