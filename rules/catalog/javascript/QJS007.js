function store(key, value) {
  try {
    cache.set(key, value);
  } catch (err) {} // expect: QJS007
  try { cache.set(key, value); } catch { } // expect: QJS007
  try {
    cache.set(key, value);
  } catch (err) { // ok: QJS007
    logger.warn("cache unavailable", err);
  }
  try {
    cache.set(key, value);
  } catch (err) { // ok: QJS007
    // The cache is optional; running without it is fine.
  }
}
