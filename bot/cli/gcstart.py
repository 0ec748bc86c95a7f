"""Garbage collection for a one-shot ``quorum review`` process: none while it imports, then the
imported objects set aside.

Importing Quorum creates some 200,000 objects that live until the process ends (modules,
functions, classes, compiled patterns); CPython's cyclic collector nevertheless walks them in
its older-generation collections, ~60 collections and ~8 ms of a small review's CPU, ~220 and
35 ms of a 300-line one (measured with ``gc.callbacks`` on pydantic PRs ``ec9962dc7dd6`` and
``41b1a85dd74a``). So the console script pauses the collector before it imports anything
(:func:`pause`), and the review resumes it when it is about to start (:func:`resume`):
``gc.freeze()`` moves everything alive then to the permanent generation, which no collection
walks (the standard library's advice for forking servers, applied to a process that imports far
more than it allocates afterwards), and the youngest generation is collected every
:data:`GEN0_THRESHOLD` allocations instead of 700, so the review's own short-lived trees are
walked less often. Collection timing never changes what a review finds.

Only the CLI's review path calls these (the console script, and the command server's child
before it runs a review); a process whose collector is running (a test, a library caller) is left
as it is by :func:`resume`.

Both callers pause **for good** (:func:`pause` with ``for_good``): a ``quorum review`` process
and the command server's child live for one review and leave with ``os._exit``, like the agents'
forked children, which have run without automatic collection since the sixth session, so a
collection could only delay their end. What such a review allocates is freed by reference
counting, and what it keeps lives to its end anyway. In an emulated served review of 8 pydantic
bench PRs (2 alternations, load ~11) the review process's CPU fell from a median of 205.7 to
188.2 ms (f00275901873: 491 to 427 ms) and its peak RSS stayed the same (100.8 and 100.4 MB at
most; 157.9 and 157.4 MB on 98a08d3e4bd2); a fresh ``quorum review`` on pydantic's 20 bench PRs
(2 alternations, load ~10): whole-process CPU 346 to 336 ms, peak RSS 126.3 and 126.8 MB at most
(``/tmp/s16warm/gcab.py``, ``freshgc.py``; RESULTS.md, s16warm). ``for_good`` False keeps the
earlier policy (collection resumed, youngest generation every :data:`GEN0_THRESHOLD`
allocations) for any other caller.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 5000
"""Allocations between two collections of the youngest generation once the review starts
(CPython's default is 700; 3.13 raised it to 2000)."""


def pause(*, for_good: bool = False) -> None:
    """Stop automatic collection until :func:`resume` (the console script, before its imports).
    ``for_good`` (a process that ends after one review: the command server's child): it stays
    stopped after :func:`resume` too (the youngest generation's threshold is set to 0, which
    CPython reads as "no automatic collection"; ``gc.collect()`` still works)."""
    gc.disable()
    if for_good:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(0, older, oldest)


def resume() -> bool:
    """When collection was paused: set the objects alive now aside (``gc.freeze``), raise the
    youngest generation's threshold (unless paused for good: it stays 0) and start collecting
    again; True then. A running collector is left alone (False)."""
    if gc.isenabled():
        return False
    gc.freeze()
    young, older, oldest = gc.get_threshold()
    if young:
        gc.set_threshold(GEN0_THRESHOLD, older, oldest)
    gc.enable()
    return True
