def check(response):
    assert (response.status == 200, "request failed")  # expect: QPY018
    assert response.status == 200, "request failed"  # ok: QPY018
    assert (response.ok), "not ok"  # ok: QPY018
    assert () == tuple(), "empty"  # ok: QPY018
