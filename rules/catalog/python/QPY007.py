def check(user, other):
    if user.email == None:  # expect: QPY007
        return 1
    if None != other:  # expect: QPY007
        return 2
    if user.email is None:  # ok: QPY007
        return 3
    if user.count == 0 or other != "None":  # ok: QPY007
        return 4
    return user is not None  # ok: QPY007
