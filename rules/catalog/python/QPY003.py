def a(tag, tags=[]):  # expect: QPY003
    return tags


def b(opts: dict = {}):  # expect: QPY003
    return opts


def c(seen=set()):  # expect: QPY003
    return seen


def d(tags=None, name="x", n=0, t=()):  # ok: QPY003
    return tags


def e(items: tuple[int, ...] = (), frozen=frozenset()):  # ok: QPY003
    return items
