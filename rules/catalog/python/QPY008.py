def check(status, code, items):
    if status is "done":  # expect: QPY008
        return 1
    if code is not -1:  # expect: QPY008
        return 2
    if items is ():  # expect: QPY008
        return 3
    if status is None or code is True:  # ok: QPY008
        return 4
    if status == "done" and items is not DEFAULT:  # ok: QPY008
        return 5
    return 0
