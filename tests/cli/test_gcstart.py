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


def test_paused_for_good_the_collector_stays_off_after_resume() -> None:
    """The command server's child: after ``resume`` what is alive is set aside, the collector is
    enabled with a youngest-generation threshold of 0 (no automatic collection), and an explicit
    ``gc.collect()`` still finds cycles."""
    threshold = gc.get_threshold()
    frozen = gc.get_freeze_count()
    try:
        gcstart.pause(for_good=True)
        assert not gc.isenabled()
        assert gcstart.resume() is True
        assert gc.get_threshold() == (0, *threshold[1:])
        assert gc.get_freeze_count() > frozen
        before = gc.get_count()[0]

        class Node:
            pass

        for _ in range(3 * gcstart.GEN0_THRESHOLD):
            a, b = Node(), Node()
            a.other, b.other = b, a  # type: ignore[attr-defined]
        del a, b
        assert gc.get_count()[0] > before + 2 * gcstart.GEN0_THRESHOLD  # nothing collected them
        assert gc.collect() >= 2
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        gc.enable()


def test_the_console_script_reviews_with_the_collector_off(tmp_path) -> None:  # noqa: ANN001
    """``quorum review`` in a fresh process (no server) pauses for good: when the review resumes
    the collector, automatic collection stays off (threshold 0) for the rest of the process."""
    import os
    import subprocess
    import sys

    from bot.testing.gitrepo import make_repo

    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, title="fix: x")
    code = (
        "import gc, sys\n"
        "from bot.cli import entry, gcstart\n"
        "original = gcstart.resume\n"
        "def spy():\n"
        "    result = original()\n"
        "    sys.stderr.write(f'GC {result} {gc.isenabled()} {gc.get_threshold()[0]}\\n')\n"
        "    return result\n"
        "gcstart.resume = spy\n"
        "sys.argv = ['quorum', 'review', '--repo', sys.argv[1], '--format', 'json', '--no-log']\n"
        "entry.main()\n"
    )
    env = dict(os.environ, QUORUM_SERVER="0", QUORUM_CACHE_DIR=str(tmp_path / "cache"), QUORUM_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True, env=env, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert "GC True True 0" in out.stderr.splitlines()
