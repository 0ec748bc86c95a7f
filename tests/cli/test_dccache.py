"""The CLI's cache of dataclass-generated code gives the same classes as ``dataclasses`` alone and
never runs code from a file it should not trust."""

from __future__ import annotations

import dataclasses
import marshal
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.cli.dccache import DataclassCodeCache, cache_file


def _define():  # noqa: ANN202 - a fresh set of classes each call
    @dataclass(frozen=True, slots=True)
    class Point:
        x: int
        y: int = 0
        tags: tuple[str, ...] = ()

    @dataclass(order=True)
    class Box:
        name: str
        items: list[int] = field(default_factory=list)
        hidden: int = field(default=7, repr=False, compare=False)

    return Point, Box


def _behaviour(point, box) -> list:  # noqa: ANN001
    p, q = point(1, 2, ("a",)), point(1, 2, ("a",))
    b1, b2 = box("a", [1]), box("b")
    out = [repr(p), p == q, hash(p) == hash(q), repr(b1), b1 < b2, b1 == box("a", [1], hidden=9), b2.items, b1.hidden]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        point()
    return out


def _methods(cls) -> dict[str, tuple]:  # noqa: ANN001
    """Each generated method's code: the code object (compared by value: bytecode, constants,
    names, flags, line table) and its line and column positions."""
    names = ("__init__", "__repr__", "__eq__", "__lt__", "__setattr__", "__delattr__", "__hash__")
    codes = {n: getattr(getattr(cls, n), "__code__", None) for n in names}
    return {n: (c, c.co_qualname, list(c.co_lines()), list(c.co_positions())) for n, c in codes.items() if c}


def test_cached_classes_are_the_classes_dataclasses_builds(tmp_path: Path) -> None:
    point, box = _define()
    expected, expected_code = _behaviour(point, box), (_methods(point), _methods(box))
    for round_ in range(2):
        with DataclassCodeCache(tmp_path) as cache:
            got = _define()
        assert "exec" not in vars(dataclasses)
        assert _behaviour(*got) == expected
        assert (_methods(got[0]), _methods(got[1])) == expected_code  # the very same compiled code
        assert (cache.hits == 0 and cache.misses > 0) if round_ == 0 else (cache.hits > 0 and cache.misses == 0)
    assert oct(cache_file(tmp_path).stat().st_mode & 0o777) == oct(0o600)


def test_a_corrupt_foreign_or_mistyped_cache_file_is_ignored(tmp_path: Path) -> None:
    path = cache_file(tmp_path)
    with DataclassCodeCache(tmp_path):
        _define()
    sources = list(marshal.loads(path.read_bytes()))
    for junk in (b"not marshal data", marshal.dumps([1, 2]), marshal.dumps({s: b"\x00junk" for s in sources}),
                 marshal.dumps({s: marshal.dumps(("not", "code")) for s in sources})):
        path.write_bytes(junk)
        with DataclassCodeCache(tmp_path) as cache:
            got = _define()
        assert cache.hits == 0 and cache.misses > 0
        assert _behaviour(*got) == _behaviour(*_define())


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_file_others_may_write_is_not_read(tmp_path: Path) -> None:
    with DataclassCodeCache(tmp_path):
        _define()
    path = cache_file(tmp_path)
    tampered = {s: marshal.dumps(compile("raise SystemExit('ran code from the cache')", "<string>", "exec"))
                for s in marshal.loads(path.read_bytes())}
    path.write_bytes(marshal.dumps(tampered))
    path.chmod(0o666)
    with DataclassCodeCache(tmp_path) as cache:
        got = _define()
    assert cache.hits == 0
    assert _behaviour(*got) == _behaviour(*_define())


def test_another_hook_is_left_alone(tmp_path: Path) -> None:
    calls = []

    def hook(source, globals_=None, locals_=None):  # noqa: ANN001, ANN202
        calls.append(source)
        return exec(source, globals_, locals_)  # noqa: S102

    dataclasses.exec = hook  # type: ignore[attr-defined]
    try:
        with DataclassCodeCache(tmp_path) as cache:
            _define()
        assert vars(dataclasses)["exec"] is hook and calls and cache.misses == 0
    finally:
        del dataclasses.exec
    assert not cache_file(tmp_path).exists()


def test_a_full_cache_keeps_what_the_run_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.cli.dccache as dccache  # noqa: PLC0415

    path = cache_file(tmp_path)
    old = {f"def f{i}(): pass": marshal.dumps(compile(f"def f{i}(): pass", "<string>", "exec")) for i in range(6)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(marshal.dumps(old))
    path.chmod(0o600)
    monkeypatch.setattr(dccache, "MAX_ENTRIES", 5)
    with DataclassCodeCache(tmp_path) as cache:
        got = _define()
    kept = marshal.loads(path.read_bytes())
    assert cache.misses > 0 and not set(kept) & set(old) and len(kept) == cache.misses
    with DataclassCodeCache(tmp_path) as cache:
        assert _behaviour(*_define()) == _behaviour(*got)
    assert cache.misses == 0 and cache.hits == len(kept)
