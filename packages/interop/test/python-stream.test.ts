// Streams through the pip-installed multifrost_worker: its ParentWorker.stream() against its own
// ChildWorker (sync and async generators) and against a TypeScript child, and the Python side's faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON } from './helpers.js';
import {
  ALL_SCENARIOS,
  pyStreamWorker,
  runPython,
  type Scenario,
  scenario,
  tempDir,
  tsStreamChild,
} from './python-stream-support.js';

const peers = [
  { peer: 'Python worker', spawn: [PYTHON, pyStreamWorker], prefix: '', kind: 'sync', errorName: 'ValueError' },
  { peer: 'Python worker', spawn: [PYTHON, pyStreamWorker], prefix: 'a', kind: 'async', errorName: 'ValueError' },
  { peer: 'TS child', spawn: tsStreamChild, prefix: '', kind: 'sync', errorName: 'RangeError' },
  { peer: 'TS child', spawn: tsStreamChild, prefix: 'a', kind: 'async', errorName: 'RangeError' },
];

describe.each(peers)('Python parent → $peer, $kind generators', ({ spawn, prefix, errorName }) => {
  let lines: Map<string, Scenario>;
  let temp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    temp = tempDir();
    lines = runPython('python-stream-parent.py', { spawn, prefix, dir: temp.dir, scenarios: ALL_SCENARIOS });
  });
  afterAll(() => temp?.cleanup());

  it('delivers every item in order, also with a plain call in the middle of a stream', () => {
    expect(scenario(lines, 'order').items).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const mixed = scenario(lines, 'interleaved');
    expect(mixed.items).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(mixed.square).toBe(81);
  });

  it('raises the remote error after the 10 items sent before it', () => {
    const line = scenario(lines, 'error_after');
    expect(line.items).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(line.error).toMatchObject({ name: errorName, message: 'failed after 10' });
    expect(line.traceback).toBe(true);
  });

  it('break after 3 items cancels the stream: the generator finally runs, the worker serves on', () => {
    const line = scenario(lines, 'break_after_3');
    expect(line.items).toEqual([0, 1, 2]);
    expect(line.finally).toBe(true);
    expect(line.after).toBe(49);
  });

  it('keeps the producer within the credit window while the consumer is slow', () => {
    const line = scenario(lines, 'window_bound');
    expect(line.first).toEqual([0, 1]);
    expect(line.more).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    // Window 4: after 2 items read, at most 4 + 2 were pulled; after 12, at most 4 + 12.
    expect(line.produced).toBeGreaterThanOrEqual(4);
    expect(line.produced).toBeLessThanOrEqual(6);
    expect(line.produced_later).toBeLessThanOrEqual(16);
  });

  it('streams bytes items as bytes', () => {
    expect(scenario(lines, 'binary')).toMatchObject({
      types: ['bytes', 'bytes', 'bytes'],
      sizes: [70_000, 70_000, 70_000],
      firsts: [0, 1, 2],
    });
  });

  it('says which way to call a method when a stream and a call are mixed up', () => {
    const line = scenario(lines, 'mismatch');
    expect(line.plain_call).toEqual({
      name: 'StreamingMethodError',
      message: `${prefix}count() streams; iterate it with worker.stream.${prefix}count()`,
      code: 'STREAMING_METHOD',
    });
    expect(line.stream_plain).toEqual({
      name: 'NotAStreamError',
      message: 'square() does not stream; call it with worker.call.square()',
      code: 'NOT_A_STREAM',
    });
    expect(line.after).toBe(9);
    expect(scenario(lines, 'bad_window').error).toBe('window must be an int >= 1, got 0');
  });
});

describe('the Python parent and worker under stream faults', () => {
  let lines: Map<string, Scenario>;
  let temp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    temp = tempDir();
    lines = runPython('python-stream-faults.py', {
      python: PYTHON,
      dir: temp.dir,
      scenarios: ['unsupported', 'flood', 'killed', 'silent_parent', 'keep_alive'],
    });
  });
  afterAll(() => temp?.cleanup());

  it('refuses at once to stream from a worker that did not list the capability, and calls still work', () => {
    const line = scenario(lines, 'unsupported');
    expect(line.code).toBe('UNSUPPORTED');
    expect(line.error).toMatch(/does not support streams: it did not list the `stream` capability/);
    expect(line.call_still_works).toBe(true);
  });

  it('fails a stream whose worker sends past its credit, without buffering the flood', () => {
    const line = scenario(lines, 'flood');
    expect(line.code).toBe('PROTOCOL');
    // How much credit went back before the flood was seen depends on timing; that it is caught does not.
    const [, sent, granted] = /sent item (\d+) with credit for only (\d+) \(window 8\)/.exec(String(line.error)) ?? [];
    expect(sent).toBe(granted);
    expect(line.items).toBe(Number(granted));
    expect(line.items).toBeLessThan(1000);
  });

  it('raises WorkerExited when the worker is killed mid-stream', () => {
    const line = scenario(lines, 'killed');
    expect(line.items_before).toEqual([0, 1]);
    expect(line.error).toMatch(/worker exited with code -9 during stream aslow\(\)/);
  });

  it('a service cancels the streams of a parent gone silent (both finally blocks run, nothing more is sent)', () => {
    const line = scenario(lines, 'silent_parent');
    expect(line.items).toBe(4);
    expect(line.finally).toEqual({ guarded: true, aguarded: true });
    expect(line.extra).toBe(0);
  });

  it("our parent's keep-alive credits hold a slow stream open past the service's silence limit", () => {
    expect(scenario(lines, 'keep_alive').items).toEqual([0, 1, 2, 3, 4]);
  });
});
