function total(items: any): number { // expect: QTS001
  const cache: Map<string, any> = new Map(); // expect: QTS001
  const parsed = JSON.parse("{}") as unknown; // ok: QTS001
  const company = "any"; // ok: QTS001
  const anyValue: number = 1; // ok: QTS001
  return items.length + cache.size + anyValue;
}
