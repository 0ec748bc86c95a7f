package files

func cleanup(tmp string) error {
	if err := os.Remove(tmp); err != nil {} // expect: QGO005
	err := os.Remove(tmp)
	if err != nil { } // expect: QGO005
	if err != nil { // ok: QGO005
		return err
	}
	if err != nil { // ok: QGO005
		// Already gone: nothing to do.
	}
	if count != nil {} // ok: QGO005
	return nil
}
