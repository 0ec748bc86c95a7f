def retry(call):
    # TODO: add backoff  # expect: QPY016
    x = call()  # FIXME handle errors  # expect: QPY016
    # todo list rendering lives elsewhere  # ok: QPY016
    label = "TODO"  # ok: QPY016
    # TODOS is the name of the table  # ok: QPY016
    return x, label
