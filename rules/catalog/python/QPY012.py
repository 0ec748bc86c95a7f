_cache = None
_count = 0


def settings():
    global _cache  # expect: QPY012
    global _count, _other  # expect: QPY012
    _cache = _cache or load()
    return _cache


def counter():
    nonlocal_name = "global"  # ok: QPY012
    return nonlocal_name  # ok: QPY012
