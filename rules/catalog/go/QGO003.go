package store

func (s *Store) Save(k string, v []byte) error {
	fmt.Println("saving", k) // expect: QGO003
	fmt.Printf("%d bytes\n", len(v)) // expect: QGO003
	println("here") // expect: QGO003
	fmt.Fprintf(os.Stderr, "warning: %s\n", k) // ok: QGO003
	msg := fmt.Sprintf("saved %s", k) // ok: QGO003
	s.log.Println(msg) // ok: QGO003
	return s.db.Put(k, v)
}
