def a():
    try:
        work()
    except Exception:  # expect: QPY002
        pass


def b():
    try:
        work()
    except:  # expect: QPY002
        ...


def c():
    try:
        work()
    except BaseException as exc:  # expect: QPY002
        pass


def d():
    try:
        work()
    except KeyError:  # ok: QPY002
        pass
    except Exception:  # ok: QPY002
        log.exception("work failed")
    except OSError:  # ok: QPY002
        # The file may already be gone; that is fine.
        pass
