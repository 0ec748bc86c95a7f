def withdraw(account, amount):
    assert amount > 0, "amount must be positive"  # expect: QPY004
    assert account.open  # expect: QPY004
    account.balance -= amount


def narrow(node):
    assert node is not None  # ok: QPY004
    assert isinstance(node, Node), node  # ok: QPY004
    assert node.left is not None and node.right is not None  # ok: QPY004
    assert node.left is not None and node.left.size > 0  # expect: QPY004
    if node.value is None:  # ok: QPY004
        raise ValueError("empty node")
    return node.value
