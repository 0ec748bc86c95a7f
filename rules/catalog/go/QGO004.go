package files

func processAll(names []string) error {
	defer cleanup() // ok: QGO004
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close() // expect: QGO004
		if f != nil {
			defer unlock() // expect: QGO004
		}
		func() {
			defer mu.Unlock() // ok: QGO004
		}()
	}
	return nil
}
