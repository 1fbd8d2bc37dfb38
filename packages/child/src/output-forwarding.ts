/**
 * Connect mode: a Node worker's console output is also sent to its connected parents as
 * `stdout`/`stderr` messages (in spawn mode the parent reads our pipes instead, so nothing is
 * patched there). Local output is kept. Parents are tracked by routing id in a small bounded map,
 * so a busy service neither leaks memory nor sends one line N times to the same parent.
 */

const MAX_PARENTS = 32;

type Write = typeof process.stdout.write;

export class OutputForwarder {
  private readonly parents = new Map<string, Buffer>();
  private restoreFns: (() => void)[] = [];
  private sending = false;

  constructor(private readonly send: (peer: Buffer, stream: 'stdout' | 'stderr', text: string) => void) {}

  /** Records a parent that spoke to us, most recent last. */
  notePeer(peer: Buffer): void {
    const key = peer.toString('latin1');
    if (this.parents.has(key)) this.parents.delete(key);
    else if (this.parents.size >= MAX_PARENTS) this.parents.delete(this.parents.keys().next().value!);
    this.parents.set(key, peer);
  }

  install(): void {
    if (this.restoreFns.length > 0) return;
    this.patch(process.stdout, 'stdout');
    this.patch(process.stderr, 'stderr');
  }

  uninstall(): void {
    for (const restore of this.restoreFns.splice(0)) restore();
  }

  private patch(stream: NodeJS.WriteStream, name: 'stdout' | 'stderr'): void {
    const original = stream.write;
    const forward = (chunk: unknown, encoding?: unknown): void => {
      if (this.sending || this.parents.size === 0) return;
      const text =
        typeof chunk === 'string'
          ? chunk
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
            : String(chunk);
      const trimmed = text.endsWith('\n') ? text.slice(0, -1) : text;
      if (trimmed.length === 0) return;
      // Guard against re-entry: a failure report written while sending must not loop.
      this.sending = true;
      try {
        for (const peer of this.parents.values()) this.send(peer, name, trimmed);
      } finally {
        this.sending = false;
      }
    };
    const patched = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      forward(chunk, typeof rest[0] === 'string' ? rest[0] : undefined);
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Write;
    stream.write = patched;
    this.restoreFns.push(() => {
      if (stream.write === patched) stream.write = original;
    });
  }
}
