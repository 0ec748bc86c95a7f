package config

func ParseConfig(data []byte) Config {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		panic(err) // expect: QGO002
	}
	go func() {
		panic("unreachable") // expect: QGO002
	}()
	return c
}

func MustParse(data []byte) Config {
	c, err := parse(data)
	if err != nil {
		panic(err) // ok: QGO002
	}
	return c
}

func init() {
	panic("bad build") // ok: QGO002
}

func recoverable() {
	defer func() { _ = recover() }() // ok: QGO002
	log.Panicf("x") // ok: QGO002
}
