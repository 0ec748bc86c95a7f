"""Call/signature compatibility, from extracted parameters and call-site argument shapes.

Pure functions over :class:`~bot.codeindex.model.Param` and :class:`~bot.codeindex.model.CallSite`
(Python binding rules: positional-only, keyword-only, ``*args``, ``**kwargs``; JS/TS/Go calls
have positional arguments only).
"""

from __future__ import annotations

from bot.codeindex.model import CallSite, Param


def accepts(params: tuple[Param, ...], bound: bool, call: CallSite, *, strict_missing: bool = True) -> bool | None:
    """Would a call with ``call``'s arguments bind to ``params``? None when it cannot be told
    (``*args`` / ``**kwargs`` passed). ``bound`` drops the first parameter (``self``/``cls``).
    ``strict_missing`` False ignores missing arguments (plain JavaScript allows them)."""
    if call.has_splat:
        return None
    ps = list(params)
    if bound and ps and ps[0].kind in ("positional", "positional_only"):
        ps = ps[1:]
    positional = [p for p in ps if p.kind in ("positional", "positional_only")]
    var_pos = any(p.kind == "var_positional" for p in ps)
    var_kw = any(p.kind == "var_keyword" for p in ps)
    if call.positional > len(positional) and not var_pos:
        return False
    filled = {p.name for p in positional[: call.positional]}
    by_name = {p.name for p in ps if p.kind in ("positional", "keyword_only")}
    for kw in call.keywords:
        if kw in filled or (kw not in by_name and not var_kw):
            return False
        filled.add(kw)
    if strict_missing:
        for p in ps:
            if p.kind in ("positional", "positional_only", "keyword_only") and not p.has_default and p.name not in filled:
                return False
    return True


def shifted(old: tuple[Param, ...], new: tuple[Param, ...], bound: bool, call: CallSite) -> tuple[str, str] | None:
    """``(old name, new name)`` of the first positional argument of ``call`` that now binds to a
    different parameter because parameters were removed, added or reordered (not merely renamed:
    a rename keeps positional callers correct). None when every positional argument keeps its
    parameter."""
    def positional(ps: tuple[Param, ...]) -> list[str]:
        names = [p.name for p in ps if p.kind in ("positional", "positional_only")]
        return names[1:] if bound and names else names

    before, after = positional(old), positional(new)
    for i in range(min(call.positional, len(before), len(after))):
        b, a = before[i], after[i]
        if b != a and (b in after or a in before):
            return b, a
    return None
