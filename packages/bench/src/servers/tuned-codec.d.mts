// Types of tuned-codec.mjs.
export function encode(message: unknown, payload?: Buffer): Buffer;
export function decode(buf: Buffer): unknown;
