function total(items) {
  debugger; // expect: QJS004
  if (items.length === 0) debugger // expect: QJS004
  const debuggerEnabled = false; // ok: QJS004
  return items.reduce((a, b) => a + b.price, 0); // ok: QJS004
}
