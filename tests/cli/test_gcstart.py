"""The review's collector pause: paused while importing, resumed once with the imports set aside;
a running collector is never touched."""

from __future__ import annotations

import gc

from bot.cli import gcstart


def test_resume_sets_the_imports_aside_only_after_a_pause() -> None:
    threshold = gc.get_threshold()
    frozen = gc.get_freeze_count()
    try:
        assert gcstart.resume() is False  # collector running: left alone
        assert gc.get_threshold() == threshold and gc.get_freeze_count() == frozen
        gcstart.pause()
        assert not gc.isenabled()
        assert gcstart.resume() is True
        assert gc.isenabled()
        assert gc.get_threshold() == (gcstart.GEN0_THRESHOLD, *threshold[1:])
        assert gc.get_freeze_count() > frozen
        assert gcstart.resume() is False
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        gc.enable()


def test_cycles_made_after_resume_are_still_collected() -> None:
    threshold = gc.get_threshold()
    try:
        gcstart.pause()
        gcstart.resume()

        class Node:
            pass

        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        del a, b
        assert gc.collect() >= 2
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        gc.enable()
