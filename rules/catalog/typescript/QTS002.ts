function notify(users: User[], id: string, el: HTMLElement | null) {
  const user = users.find((u) => u.id === id)!; // expect: QTS002
  el!.textContent = user.name; // expect: QTS002
  const maybe = users.find((u) => u.id === id); // ok: QTS002
  if (!maybe) return; // ok: QTS002
  if (maybe.name !== "x") send(maybe?.email); // ok: QTS002
}
