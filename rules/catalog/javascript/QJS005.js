function render(row, user, html) {
  row.innerHTML = `<td>${user.name}</td>`; // expect: QJS005
  row.outerHTML = html; // expect: QJS005
  row.innerHTML += "<td>" + user.age + "</td>"; // expect: QJS005
  row.innerHTML = ""; // ok: QJS005
  row.innerHTML = '<td class="empty"></td>'; // ok: QJS005
  row.textContent = user.name; // ok: QJS005
  const html2 = row.innerHTML; // ok: QJS005
  return html2;
}
