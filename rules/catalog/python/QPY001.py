def parse(text):
    try:
        return int(text)
    except:  # expect: QPY001
        return 0


def parse_ok(text):
    try:
        return int(text)
    except ValueError:  # ok: QPY001
        return 0
    except (TypeError, OverflowError) as exc:  # ok: QPY001
        raise RuntimeError(text) from exc
    except Exception:  # ok: QPY001
        raise
