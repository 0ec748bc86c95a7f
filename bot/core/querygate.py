"""Which texts a tree-sitter query's matches need in the source: a cheap test, before compiling the
query, of whether it can match a file at all (issue 14: compiling the catalog's merged Python query
costs ~24 ms of every review that touches a Python file, its TypeScript query ~21-34 ms).

:func:`required_texts` reads a query's text, not its compiled form. A pattern needs a text when it
holds a positive text predicate, ``(#eq? @c "print")`` or ``(#any-of? @c "get" "post")``, on a
capture that every match of the pattern has exactly one node for: the capture sits on one item
only, and neither that item nor any group around it is optional or repeated (``?``, ``*``, ``+``)
or one alternative of an alternation (``[...]``). Such a node's text equals one of the predicate's
strings, so the source holds one of them. Anything this reader does not follow (an escape in a
string, an unknown token) makes it claim nothing for the whole query: it never excludes a file
that a match could come from, it only fails to exclude some that no match comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_TOKEN = re.compile(r'\s+|;[^\n]*|"(?:[^"\\\n]|\\.)*"|[()\[\]]|@[\w.\-]+|[?*+]|[\w.\-!:#?]+')
_POSITIVE = frozenset({"#eq?", "#any-of?"})

Needs = tuple[tuple[frozenset[bytes], ...], ...]
"""One entry per pattern of the query: the texts that pattern needs, as sets of which each must
have one member in the source."""


@dataclass
class _Item:
    kind: str  # "(" group, "[" alternation, "pred" predicate, "str" string, "atom" node type / field / anchor
    children: list[_Item] = field(default_factory=list)
    args: list[str] = field(default_factory=list)  # a predicate's tokens after its name
    name: str = ""
    quantified: bool = False
    captures: list[str] = field(default_factory=list)


class _Unsupported(ValueError):
    """Something in the query text this reader does not follow."""


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _Unsupported(f"unexpected text at {pos}")
        tok = m.group()
        pos = m.end()
        if not tok.isspace() and not tok.startswith(";"):
            out.append(tok)
    return out


def _parse(tokens: list[str], i: int, closer: str | None) -> tuple[list[_Item], int]:
    items: list[_Item] = []
    while i < len(tokens):
        tok = tokens[i]
        if tok in (")", "]"):
            if tok != closer:
                raise _Unsupported("unbalanced brackets")
            return items, i + 1
        if tok == "(" and i + 1 < len(tokens) and tokens[i + 1].startswith("#"):
            end = tokens.index(")", i + 1) if ")" in tokens[i + 1:] else -1
            if end < 0 or any(t in ("(", "[", "]") for t in tokens[i + 2:end]):
                raise _Unsupported("malformed predicate")
            items.append(_Item("pred", name=tokens[i + 1], args=tokens[i + 2:end]))
            i = end + 1
        elif tok in ("(", "["):
            children, i = _parse(tokens, i + 1, ")" if tok == "(" else "]")
            items.append(_Item(tok, children=children))
        elif tok in ("?", "*", "+"):
            if not items:
                raise _Unsupported("quantifier without an item")
            items[-1].quantified = True
            i += 1
        elif tok.startswith("@"):
            if not items:
                raise _Unsupported("capture without an item")
            items[-1].captures.append(tok[1:])
            i += 1
        elif tok.startswith('"'):
            items.append(_Item("str", name=tok))
            i += 1
        else:
            if tok.endswith("?") and not tok.startswith("#"):
                raise _Unsupported("a quantifier glued to a token")  # `_?`: read it as the optional item it is
            items.append(_Item("atom", name=tok))
            i += 1
    if closer is not None:
        raise _Unsupported("unclosed bracket")
    return items, i


def _walk(item: _Item, single: bool, sites: dict[str, list[bool]], preds: list[_Item]) -> None:
    """Record, for each capture, whether each item carrying it has exactly one node per match
    (``single``), and collect the predicates."""
    if item.kind == "pred":
        preds.append(item)
        return
    here = single and not item.quantified
    for name in item.captures:
        sites.setdefault(name, []).append(here)
    inner = here and item.kind == "("
    for child in item.children:
        _walk(child, inner, sites, preds)


def _string(tok: str) -> bytes:
    if not (tok.startswith('"') and tok.endswith('"')) or "\\" in tok:
        raise _Unsupported("not a plain string")
    return tok[1:-1].encode("utf-8")


def _pattern_needs(pattern: _Item) -> tuple[frozenset[bytes], ...]:
    sites: dict[str, list[bool]] = {}
    preds: list[_Item] = []
    _walk(pattern, True, sites, preds)
    needs: list[frozenset[bytes]] = []
    for pred in preds:
        if pred.name not in _POSITIVE or len(pred.args) < 2 or not pred.args[0].startswith("@"):
            continue
        if pred.name == "#eq?" and len(pred.args) != 2:
            continue
        if sites.get(pred.args[0][1:]) != [True] or any(a.startswith("@") for a in pred.args[1:]):
            continue
        needs.append(frozenset(_string(a) for a in pred.args[1:]))
    return tuple(needs)


@lru_cache(maxsize=256)
def required_texts(query: str) -> Needs | None:
    """What a match of ``query`` needs in the source, per pattern (see the module docstring); None
    when some pattern needs nothing this reader can prove (or the text is not followed): then any
    source may match."""
    try:
        patterns, _ = _parse(_tokens(query), 0, None)
        out = []
        for pattern in patterns:
            if pattern.kind == "pred" or pattern.kind == "atom":
                raise _Unsupported("a top-level item that is not a pattern")
            needs = _pattern_needs(pattern)
            if not needs:
                return None
            out.append(needs)
    except _Unsupported:
        return None
    return tuple(out) if out else None


def may_match(needs: Needs | None, source: bytes) -> bool:
    """False only when no pattern's needs are all met in ``source`` (so ``query`` cannot match it)."""
    if needs is None:
        return True
    return any(all(any(text in source for text in alternatives) for alternatives in pattern) for pattern in needs)


__all__ = ["Needs", "may_match", "required_texts"]
