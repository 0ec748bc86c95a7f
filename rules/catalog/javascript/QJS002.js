var total = 0; // expect: QJS002
for (var i = 0; i < 3; i++) { // expect: QJS002
  total += i;
}
let count = 1; // ok: QJS002
const variance = 2; // ok: QJS002
const vars = { var: 1 }; // ok: QJS002
