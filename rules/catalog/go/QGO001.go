package config

func load(m map[string]int, v interface{}, ch chan int) (int, error) {
	port, _ := strconv.Atoi(os.Getenv("PORT")) // expect: QGO001
	_ = f.Close() // expect: QGO001
	var n int
	n, _ = fmt.Sscan("1", &n) // expect: QGO001
	cfg, _ := readConfig("x") // expect: QGO001
	_, err := w.Write(nil) // ok: QGO001
	x, _ := m["key"] // ok: QGO001
	s, _ := v.(string) // ok: QGO001
	r, _ := <-ch // ok: QGO001
	for _, item := range m { // ok: QGO001
		_ = item
	}
	hit, _ := lookup("k") // ok: QGO001
	val, _ := cache.Get("k") // ok: QGO001
	home, _ := os.LookupEnv("HOME") // ok: QGO001
	q, _ := strings.CutPrefix(home, "/") // ok: QGO001
	return port + x + len(s) + r + n + hit + len(val) + len(q) + cfg, err
}

func lookup(k string) (int, bool) {
	return 0, false
}

func readConfig(p string) (int, error) {
	return 0, nil
}
