// @ts-nocheck // expect: QTS003
// @ts-ignore // expect: QTS003
const port: number = config.port;
// @ts-expect-error: typings lag behind // ok: QTS003
const host: string = config.host;
// we ignore ts errors elsewhere // ok: QTS003
