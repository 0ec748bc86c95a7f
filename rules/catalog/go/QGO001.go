package config

func load(m map[string]int, v interface{}, ch chan int) (int, error) {
	port, _ := strconv.Atoi(os.Getenv("PORT")) // expect: QGO001
	_ = f.Close() // expect: QGO001
	var n int
	n, _ = fmt.Sscan("1", &n) // expect: QGO001
	_, err := w.Write(nil) // ok: QGO001
	x, _ := m["key"] // ok: QGO001
	s, _ := v.(string) // ok: QGO001
	r, _ := <-ch // ok: QGO001
	for _, item := range m { // ok: QGO001
		_ = item
	}
	return port + x + len(s) + r + n, err
}
