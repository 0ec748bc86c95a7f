"""How long the process has been alive: for ``timings.startup_ms`` (interpreter start and imports
before the CLI's entry point). Standard library only, so it costs nothing to import.

Source of the fact: proc(5), ``/proc/[pid]/stat`` field 22 ``starttime``, "the time the process
started after system boot ... expressed in clock ticks (divide by sysconf(_SC_CLK_TCK))", compared
with ``CLOCK_BOOTTIME`` (clock_gettime(2): monotonic time since boot). The tick is usually 10 ms,
so the age is exact to within one tick.
"""

from __future__ import annotations

import os
import time


def process_age_s() -> float | None:
    """Seconds since this process was started (forked), or None where ``/proc`` or
    ``CLOCK_BOOTTIME`` is unavailable (not Linux)."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            stat = fh.read()
        # The command name (field 2) may hold spaces and parentheses: split after its last ")".
        fields = stat[stat.rindex(b")") + 2:].split()
        start_ticks = int(fields[19])  # field 22 overall; fields 3.. start at index 0 here
        ticks = os.sysconf("SC_CLK_TCK")
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return max(0.0, now - start_ticks / ticks)
