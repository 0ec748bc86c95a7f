"""Signature compatibility of call sites (Python binding rules)."""

from __future__ import annotations

from bot.codeindex import CallSite, Param
from bot.codeindex.signatures import accepts, shifted


def test_accepts_and_shifted_helpers() -> None:
    params = (Param("self", "positional", False), Param("a", "positional", False), Param("k", "keyword_only", True))
    call = CallSite("x.py", 1, "o.m", "m", "x", 1, ("k",), False)
    assert accepts(params, True, call) is True
    assert accepts(params, False, call) is False  # "self" would be missing
    assert accepts(params, True, call._replace(keywords=("zz",))) is False
    assert accepts(params, True, call._replace(has_splat=True)) is None
    assert accepts(params, True, call._replace(positional=0), strict_missing=False) is True
    old = (Param("a", "positional", False), Param("b", "positional", False))
    renamed = (Param("x", "positional", False), Param("y", "positional", False))
    assert shifted(old, renamed, False, call._replace(positional=2)) is None
    assert shifted(old, (Param("b", "positional", False),), False, call) == ("a", "b")


def test_python_binding_rules() -> None:
    call = CallSite("x.py", 1, "f", "f", "x", 2, (), False)
    pos_only = (Param("a", "positional_only", False), Param("b", "positional", False))
    assert accepts(pos_only, False, call) is True
    assert accepts(pos_only, False, call._replace(positional=1, keywords=("a",))) is False  # positional-only by name
    assert accepts(pos_only, False, call._replace(keywords=("b",))) is False  # b given twice
    assert accepts(pos_only, False, call._replace(positional=3)) is False
    star = (Param("a", "positional", False), Param("rest", "var_positional", False), Param("kw", "var_keyword", False))
    assert accepts(star, False, call._replace(positional=5, keywords=("anything",))) is True
    assert accepts(star, False, call._replace(positional=0)) is False  # a is missing
    required_kw = (Param("a", "positional", False), Param("mode", "keyword_only", False))
    assert accepts(required_kw, False, call._replace(positional=1)) is False
    assert accepts(required_kw, False, call._replace(positional=1, keywords=("mode",))) is True
