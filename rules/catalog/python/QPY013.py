def load():
    list = fetch_rows()  # expect: QPY013
    max = 10  # expect: QPY013
    for str in names:  # expect: QPY013
        pass
    rows = list(filter(None, fetch_rows()))  # ok: QPY013
    max_rows = 10  # ok: QPY013
    id = 3  # ok: QPY013
    config.list = rows  # ok: QPY013
    return rows, max_rows, id, max


class Field:
    type = "text"  # ok: QPY013
    set = True  # ok: QPY013
