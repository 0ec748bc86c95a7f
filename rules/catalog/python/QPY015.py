import datetime as dt_module
from datetime import datetime, timezone


def stamp(ts):
    a = datetime.utcnow()  # expect: QPY015
    b = dt_module.datetime.utcfromtimestamp(ts)  # expect: QPY015
    c = datetime.now(timezone.utc)  # ok: QPY015
    d = arrow.utcnow()  # ok: QPY015
    e = datetime.fromtimestamp(ts, timezone.utc)  # ok: QPY015
    return a, b, c, d, e
