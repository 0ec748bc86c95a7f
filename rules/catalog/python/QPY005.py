import sys


def load(path):
    print("loading", path)  # expect: QPY005
    print(path,  # expect: QPY005
          "done")
    print("warning: slow path", file=sys.stderr)  # ok: QPY005
    log.debug("loading %s", path)  # ok: QPY005
    printer.print(path)  # ok: QPY005
    return pprint(path)  # ok: QPY005
