import requests


def fetch(url, payload, **kwargs):
    a = requests.get(url)  # expect: QPY014
    b = requests.post(url, json=payload)  # expect: QPY014
    c = requests.get(url, timeout=10)  # ok: QPY014
    d = requests.request("GET", url, **kwargs)  # ok: QPY014
    e = session.get(url)  # ok: QPY014
    f = requests.post(  # ok: QPY014
        url,
        timeout=(3, 30),
    )
    return a, b, c, d, e, f
