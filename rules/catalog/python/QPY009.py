import json


def copy(path, target):
    data = open(path).read()  # expect: QPY009
    out = open(target, "w")  # expect: QPY009
    config = json.load(open("config.json"))  # expect: QPY009
    with open(target, "w") as fh:  # ok: QPY009
        fh.write(data)
    with open(path) as a, open(target) as b:  # ok: QPY009
        return a.read() + b.read() + str(out) + str(config)


class Log:
    def __init__(self, path):
        self._fh = open(path, "a")  # ok: QPY009
