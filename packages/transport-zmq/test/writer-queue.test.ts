/**
 * The writer's ordering logic against a stand-in socket (pure logic: when sends start, that they
 * never overlap, and in what order they leave). The real socket is covered by the other files.
 */
import { describe, expect, it } from 'vitest';
import { createStats } from '../src/stats.js';
import { WriterQueue, type SendSocket } from '../src/writer-queue.js';

/** Records sends; each completes when `release()` is called, like a socket that is not writable. */
class FakeSocket implements SendSocket {
  sendTimeout = 1000;
  readonly sent: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private waiting: (() => void)[] = [];
  constructor(private readonly immediate: boolean) {}
  send(frames: Buffer[]): Promise<void> {
    this.sent.push(frames[0]!.toString());
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.immediate) {
      this.inFlight--;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.inFlight--;
        resolve();
      }),
    );
  }
  release(): void {
    this.waiting.shift()?.();
  }
}

const frames = (s: string): Buffer[] => [Buffer.from(s)];
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('WriterQueue', () => {
  it('starts after the current synchronous burst, so messages produced together leave together', async () => {
    const socket = new FakeSocket(true);
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    for (const s of ['a', 'b', 'c']) writer.post(frames(s), () => {});
    expect(socket.sent).toEqual([]);
    await flush();
    expect(socket.sent).toEqual(['a', 'b', 'c']);
  });

  it('kick() sends at once what is queued, and the deferred start then finds nothing to do', async () => {
    const socket = new FakeSocket(true);
    const stats = createStats();
    const writer = new WriterQueue(socket, 1000, stats, () => 'test');
    writer.post(frames('reply'), () => {});
    writer.kick();
    expect(socket.sent).toEqual(['reply']);
    await flush();
    expect(socket.sent).toEqual(['reply']);
    expect(stats).toMatchObject({ sent: 1, queued: 0 });
  });

  it('never has two sends in flight, whether started by kick() or by the deferred start', async () => {
    const socket = new FakeSocket(false);
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    writer.post(frames('1'), () => {});
    writer.kick();
    writer.post(frames('2'), () => {});
    writer.kick(); // already pumping: must not start a second pump
    writer.post(frames('3'), () => {});
    await flush();
    expect(socket.sent).toEqual(['1']);
    for (let i = 0; i < 3; i++) {
      socket.release();
      await flush();
    }
    expect(socket.sent).toEqual(['1', '2', '3']);
    expect(socket.maxInFlight).toBe(1);
  });

  it('cork() holds every post back until uncork(), which sends them all at once, in order', async () => {
    const socket = new FakeSocket(true);
    const stats = createStats();
    const writer = new WriterQueue(socket, 1000, stats, () => 'test');
    writer.cork();
    for (const s of ['a', 'b', 'c']) writer.post(frames(s), () => {});
    writer.kick(); // a kick does not open a cork
    await flush(); // nor does the deferred start
    expect(socket.sent).toEqual([]);
    expect(stats.queued).toBe(3);
    writer.uncork();
    expect(socket.sent).toEqual(['a']); // the first leaves at once, the rest right behind it
    await flush();
    expect(socket.sent).toEqual(['a', 'b', 'c']);
    expect(stats).toMatchObject({ sent: 3, queued: 0 });
    // Uncorked again: a post starts after the current burst, as before.
    writer.post(frames('d'), () => {});
    await flush();
    expect(socket.sent).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sendQueued() sends what is queued while corked, and later posts wait for uncork()', async () => {
    const socket = new FakeSocket(true);
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    writer.cork();
    writer.post(frames('1'), () => {});
    writer.sendQueued();
    await flush();
    expect(socket.sent).toEqual(['1']);
    writer.post(frames('2'), () => {});
    await flush();
    expect(socket.sent).toEqual(['1']);
    writer.uncork();
    await flush();
    expect(socket.sent).toEqual(['1', '2']);
  });

  it('close() while corked fails what is held with CLOSED', async () => {
    const socket = new FakeSocket(true);
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    const failed: string[] = [];
    writer.cork();
    writer.post(frames('x'), (err) => failed.push((err as { code?: string }).code ?? '?'));
    writer.close();
    writer.uncork();
    await flush();
    expect(socket.sent).toEqual([]);
    expect(failed).toEqual(['CLOSED']);
  });

  it('hands the tag back to onError, and kick() after close() sends nothing', async () => {
    const socket = new FakeSocket(false);
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    const failed: unknown[] = [];
    writer.post(frames('x'), (_err, tag) => failed.push(tag), undefined, 'tag-x');
    writer.post(frames('y'), (_err, tag) => failed.push(tag), undefined, 'tag-y');
    writer.close();
    writer.kick();
    await flush();
    expect(socket.sent).toEqual([]);
    expect(failed).toEqual(['tag-x', 'tag-y']);
  });
});

/** Answers each send at once: refused with an error for the messages `refuse` names, else sent. */
class ScriptedSocket implements SendSocket {
  /** Each attempt as `message@sendTimeout`. */
  readonly attempts: string[] = [];
  timeoutSets = 0;
  private timeout = 1000;
  constructor(private readonly refuse: (message: string, timeout: number) => string | undefined = () => undefined) {}
  get sendTimeout(): number {
    return this.timeout;
  }
  set sendTimeout(ms: number) {
    this.timeout = ms;
    this.timeoutSets++;
  }
  send(frames: Buffer[]): Promise<void> {
    const message = frames[0]!.toString();
    this.attempts.push(`${message}@${this.timeout}`);
    const code = this.refuse(message, this.timeout);
    return code ? Promise.reject(Object.assign(new Error(`refused: ${code}`), { code })) : Promise.resolve();
  }
}

describe('WriterQueue: try now, wait only when refused', () => {
  it('sends with a socket timeout of 0, set once while sends keep succeeding', async () => {
    const socket = new ScriptedSocket();
    const stats = createStats();
    const writer = new WriterQueue(socket, 1000, stats, () => 'test');
    for (const s of ['a', 'b', 'c']) writer.post(frames(s), () => {});
    await flush();
    expect(socket.attempts).toEqual(['a@0', 'b@0', 'c@0']);
    expect(socket.timeoutSets).toBe(1);
    expect(stats).toMatchObject({ sent: 3, sendErrors: 0, queued: 0 });
  });

  it('a send refused with EAGAIN is repeated with the full timeout; the next message tries at once again', async () => {
    const socket = new ScriptedSocket((m, timeout) => (m === 'b' && timeout === 0 ? 'EAGAIN' : undefined));
    const stats = createStats();
    const writer = new WriterQueue(socket, 1000, stats, () => 'test');
    const errors: unknown[] = [];
    for (const s of ['a', 'b', 'c']) writer.post(frames(s), (err) => errors.push(err));
    await flush();
    expect(socket.attempts).toEqual(['a@0', 'b@0', 'b@1000', 'c@0']);
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ sent: 3, sendErrors: 0 });
  });

  it('EAGAIN after the wait is a SEND_TIMEOUT; any other error is reported as is, without a second try', async () => {
    const socket = new ScriptedSocket((m) => (m === 'slow' ? 'EAGAIN' : m === 'bad' ? 'EPROTO' : undefined));
    const stats = createStats();
    const writer = new WriterQueue(socket, 1000, stats, () => 'tcp://127.0.0.1:1');
    const errors: { code?: string; message: string }[] = [];
    for (const s of ['slow', 'bad', 'ok'])
      writer.post(frames(s), (err) => errors.push(err as { code?: string; message: string }));
    await flush();
    expect(socket.attempts).toEqual(['slow@0', 'slow@1000', 'bad@0', 'ok@0']);
    expect(errors.map((e) => e.code)).toEqual(['SEND_TIMEOUT', 'TRANSPORT']);
    expect(errors[1]!.message).toMatch(/tcp:\/\/127\.0\.0\.1:1 failed: refused: EPROTO/);
    expect(stats).toMatchObject({ sent: 1, sendErrors: 2 });
  });

  it('a long run of sends that never wait lets the event loop in along the way', async () => {
    const socket = new ScriptedSocket();
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    for (let i = 0; i < 2_000; i++) writer.post(frames(String(i)), () => {});
    const seenByTimer = await new Promise<number>((resolve) => setImmediate(() => resolve(socket.attempts.length)));
    expect(seenByTimer).toBeGreaterThan(0);
    expect(seenByTimer).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(socket.attempts).toHaveLength(2_000);
  });
});

describe('WriterQueue.sent(): what the receive loop waits for before a waiting read', () => {
  it('is undefined while nothing is being sent, and settles once a burst has left', async () => {
    const socket = new ScriptedSocket();
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    expect(writer.sent()).toBeUndefined();
    for (const s of ['a', 'b', 'c']) writer.post(frames(s), () => {});
    writer.kick();
    // The pump sent 'a' and waits on its (settled) promise: the burst is still leaving.
    const sending = writer.sent();
    expect(sending).toBeInstanceOf(Promise);
    await sending;
    expect(socket.attempts).toEqual(['a@0', 'b@0', 'c@0']);
    expect(writer.sent()).toBeUndefined();
  });

  it('a try-now send still in progress keeps the burst open until it completes', async () => {
    const socket = new FakeSocket(false); // no send completes until release()
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    writer.post(frames('stuck'), () => {});
    writer.kick();
    const sending = writer.sent();
    expect(sending).toBeInstanceOf(Promise);
    let settled = false;
    void sending!.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    socket.release();
    await sending;
    expect(writer.sent()).toBeUndefined();
  });

  it('settles when a refused send starts to wait with the full timeout, and is undefined during that wait', async () => {
    let release: () => void = () => {};
    const socket = new ScriptedSocket((m, timeout) => (m === 'b' && timeout === 0 ? 'EAGAIN' : undefined));
    const waitingSend = socket.send.bind(socket);
    socket.send = (f: Buffer[]) =>
      socket.sendTimeout > 0 ? new Promise<void>((r) => (release = () => void waitingSend(f).then(r))) : waitingSend(f);
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    for (const s of ['a', 'b', 'c']) writer.post(frames(s), () => {});
    writer.kick();
    await writer.sent(); // settles although 'b' has not left: reads must go on while it waits
    expect(socket.attempts).toEqual(['a@0', 'b@0']);
    expect(writer.sent()).toBeUndefined();
    release();
    await flush();
    expect(socket.attempts).toEqual(['a@0', 'b@0', 'b@1000', 'c@0']);
    expect(writer.sent()).toBeUndefined();
  });

  it('settles when the pump yields to the event loop, and is undefined until it sends again', async () => {
    const socket = new ScriptedSocket();
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    for (let i = 0; i < 2_000; i++) writer.post(frames(String(i)), () => {});
    writer.kick();
    await writer.sent(); // the first yield, long before the queue is empty
    expect(socket.attempts.length).toBeLessThan(2_000);
    expect(writer.sent()).toBeUndefined(); // reads go on during the yield
    await new Promise((r) => setTimeout(r, 50));
    expect(socket.attempts).toHaveLength(2_000);
    expect(writer.sent()).toBeUndefined();
  });

  it('settles when the writer is closed mid-burst', async () => {
    const socket = new FakeSocket(false);
    const writer = new WriterQueue(socket, 1000, createStats(), () => 'test');
    const errors: unknown[] = [];
    for (const s of ['a', 'b']) writer.post(frames(s), (err) => errors.push(err));
    writer.kick();
    const sending = writer.sent()!;
    writer.close();
    socket.release();
    await sending;
    expect(errors).toHaveLength(1); // 'b', still queued when the writer closed
  });
});
