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
