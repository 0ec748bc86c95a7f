function check(count, value, other) {
  if (count == "0") { // expect: QJS001
    reset();
  }
  const same = value != other; // expect: QJS001
  if (value == null) return 1; // ok: QJS001
  if (undefined != other) return 2; // ok: QJS001
  if (typeof value == "string") return 3; // ok: QJS001
  if ("object" != typeof other) return 4; // ok: QJS001
  return count === 0 || value !== other; // ok: QJS001
}
