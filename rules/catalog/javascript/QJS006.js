describe.only("checkout", () => { // expect: QJS006
  it.only("charges the card", async () => { // expect: QJS006
    await checkout(cart);
  });
  it("refunds", async () => { // ok: QJS006
    await refund(cart);
  });
  test.skip("later", () => {}); // ok: QJS006
  const only = options.only(1); // ok: QJS006
});
