async function save(user) {
  console.log("saving", user); // expect: QJS003
  console.debug(user.id); // expect: QJS003
  console.error("failed to save", user.id); // ok: QJS003
  logger.log("saved"); // ok: QJS003
  await api.put(user); // ok: QJS003
}
