"""HistoryCache: one query per base with prefetch, the same answers as key by key."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.history import cache as cache_mod
from bot.history.cache import HistoryCache

_KINDS = ("time", "file")


def _filled(path: Path) -> None:
    cache = HistoryCache(path)
    cache.put("time", "b1", "", 1700000000)
    cache.put("file", "b1", "a.py", {"c": [["s", 1, "n", "e", False]], "a": None, "e": True, "l": 3})
    cache.put("file", "b1", "b.py", {"c": [], "a": 5, "e": False, "l": 0})
    cache.put("file", "b2", "a.py", {"other": "base"})
    cache.put("blame", "b1", "a.py", {"1": "s"})
    cache.close()


def _counting(cache: HistoryCache) -> list[str]:
    statements: list[str] = []
    db = cache._db()
    assert db is not None
    db.set_trace_callback(statements.append)
    return statements


def test_prefetched_reads_answer_as_key_by_key_reads_with_one_query(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _filled(path)
    plain, fetched = HistoryCache(path), HistoryCache(path)
    statements = _counting(fetched)
    fetched.prefetch("b1", _KINDS)
    keys = [("time", "b1", ""), ("file", "b1", "a.py"), ("file", "b1", "b.py"), ("file", "b1", "c.py"),
            ("file", "b1", "a.py")]
    assert [fetched.get(*k) for k in keys] == [plain.get(*k) for k in keys]
    assert fetched.get("file", "b1", "a.py")["l"] == 3 and fetched.get("file", "b1", "c.py") is None
    assert len(statements) == 1  # the prefetch; hits and misses of b1 read no more
    assert fetched.get("file", "b2", "a.py") == {"other": "base"}  # another base: read key by key
    assert fetched.get("blame", "b1", "a.py") == {"1": "s"}  # a kind not prefetched: likewise
    assert len(statements) == 3


def test_a_put_after_the_prefetch_is_read_back(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _filled(path)
    cache = HistoryCache(path)
    cache.prefetch("b1", _KINDS)
    cache.put("file", "b1", "new.py", {"l": 9})
    cache._mem.clear()  # as when the in-memory values are dropped past their cap
    assert cache.get("file", "b1", "new.py") == {"l": 9}
    assert HistoryCache(path).get("file", "b1", "new.py") == {"l": 9}


def test_a_base_with_too_many_rows_is_read_key_by_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "h.sqlite"
    _filled(path)
    monkeypatch.setattr(cache_mod, "PREFETCH_ROWS", 2)  # b1 holds 3 rows of these kinds
    cache = HistoryCache(path)
    statements = _counting(cache)
    cache.prefetch("b1", _KINDS)
    assert cache._pre == {}
    assert cache.get("file", "b1", "b.py") == {"c": [], "a": 5, "e": False, "l": 0}
    assert cache.get("file", "b1", "c.py") is None
    assert len(statements) == 3


def test_held_groups_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "h.sqlite"
    _filled(path)
    monkeypatch.setattr(cache_mod, "PREFETCH_GROUPS", 3)
    cache = HistoryCache(path)
    cache.prefetch("b1", _KINDS)
    cache.prefetch("b2", _KINDS)  # 4 groups would exceed the cap: the held ones are dropped first
    assert set(cache._pre) == {("time", "b2"), ("file", "b2")}
    assert cache.get("file", "b1", "a.py")["l"] == 3  # read key by key again


def test_prefetch_is_a_no_op_in_memory_and_on_a_broken_file(tmp_path: Path) -> None:
    memory = HistoryCache(None)
    memory.prefetch("b1", _KINDS)
    memory.put("time", "b1", "", 5)
    assert memory.get("time", "b1", "") == 5 and memory.get("file", "b1", "x") is None
    not_a_db = tmp_path / "h.sqlite"
    not_a_db.write_bytes(b"this is not a database" * 100)
    broken = HistoryCache(not_a_db)
    broken.prefetch("b1", _KINDS)
    assert broken.get("time", "b1", "") is None


def test_a_stored_value_that_is_not_json_is_a_miss_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _filled(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE facts SET value='{not json' WHERE kind='time' AND base='b1'")
    conn.commit()
    conn.close()
    fetched = HistoryCache(path)
    fetched.prefetch("b1", _KINDS)
    assert fetched.get("time", "b1", "") is None and HistoryCache(path).get("time", "b1", "") is None
