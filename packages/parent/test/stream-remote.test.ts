/** RemoteStream on its own: the window, credit given back, and a worker that lies about either. */
import { describe, expect, it } from 'vitest';
import { isMultifrostError } from '@multifrost/protocol';
import { RemoteStream, type StreamLink, type StreamOutcome } from '../src/remote-stream.js';

function open(window: number) {
  const credits: number[] = [];
  const log: string[] = [];
  let outcome: StreamOutcome | undefined;
  const link: StreamLink = {
    id: 'x',
    credit: (n) => credits.push(n),
    cancel: () => log.push('cancel'),
    settled: (o) => (outcome = o),
  };
  const s = new RemoteStream<number>('f', window, (st) => st.attach(link));
  return { s, credits, log, outcome: () => outcome };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (isMultifrostError(e) ? e.code : String(e)),
  );
}

describe('RemoteStream', () => {
  it('grants credit back half a window at a time as items are taken', async () => {
    const { s, credits } = open(8);
    const first = s.next();
    for (let i = 0; i < 8; i++) s.push(i, i);
    expect(await first).toEqual({ done: false, value: 0 });
    for (let i = 1; i < 8; i++) expect((await s.next()).value).toBe(i);
    expect(credits).toEqual([4, 4]);
  });

  it('a worker that sends beyond its credit fails the stream with PROTOCOL and is cancelled', async () => {
    const { s, log, outcome } = open(4);
    const first = s.next();
    for (let i = 0; i < 6; i++) s.push(i, i); // item 0 goes to the waiting next(); 1..4 fill the window; 5 is one too many
    expect((await first).value).toBe(0);
    expect(await codeOf(s.next())).toBe('PROTOCOL');
    expect(log).toEqual(['cancel']);
    expect(outcome()).toBe('transport');
    expect(await s.next()).toEqual({ done: true, value: undefined });
  });

  it('a gap in seq or an end count that does not match is a PROTOCOL error', async () => {
    const a = open(4);
    void a.s.next();
    a.s.push(0, 0);
    a.s.push(2, 2);
    expect(await codeOf(a.s.next())).toBe('PROTOCOL');
    const b = open(4);
    const n = b.s.next();
    b.s.push(0, 0);
    await n;
    b.s.end(5);
    expect(await codeOf(b.s.next())).toBe('PROTOCOL');
  });

  it('a remote error comes after the items already received', async () => {
    const { s, outcome } = open(4);
    void s.next().then(() => {});
    s.push(0, 0);
    s.push(1, 1);
    s.fail(new Error('boom'), 'remote', false, true);
    expect((await s.next()).value).toBe(1);
    await expect(s.next()).rejects.toThrow('boom');
    expect(await s.next()).toEqual({ done: true, value: undefined });
    expect(outcome()).toBe('remote');
  });

  it('return() cancels once and ends; late items are ignored', async () => {
    const { s, log, outcome } = open(4);
    const pending = s.next();
    await s.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    s.push(0, 0);
    s.end(1);
    await s.return();
    expect(log).toEqual(['cancel']);
    expect(outcome()).toBe('cancel');
  });

  it('is iterated once', () => {
    const { s } = open(2);
    s[Symbol.asyncIterator]();
    expect(() => s[Symbol.asyncIterator]()).toThrow(/read once/);
  });
});
