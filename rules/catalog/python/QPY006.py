import pdb


def charge(order):
    breakpoint()  # expect: QPY006
    pdb.set_trace()  # expect: QPY006
    import ipdb; ipdb.set_trace()  # expect: QPY006
    tracer.set_trace()  # ok: QPY006
    log.debug("charging %s", order)  # ok: QPY006
    return gateway.breakpoint_count()  # ok: QPY006
