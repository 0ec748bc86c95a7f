package client

func (c *Client) Fetch(id string) (*Item, error) {
	return c.get(context.Background(), "/items/"+id) // expect: QGO006
}

func (c *Client) Later() {
	ctx := context.TODO() // expect: QGO006
	_ = ctx
}

func (c *Client) FetchCtx(ctx context.Context, id string) (*Item, error) { // ok: QGO006
	ctx, cancel := context.WithTimeout(ctx, time.Second) // ok: QGO006
	defer cancel()
	return c.get(ctx, "/items/"+id)
}

func init() {
	warm(context.Background()) // ok: QGO006
}
