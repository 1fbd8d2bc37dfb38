import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OutputSink, type OutputStream } from '../src/output-sink.js';

describe('OutputSink', () => {
  it('splits a pipe into lines, across chunk and UTF-8 boundaries, and flushes the tail', async () => {
    const lines: [string, OutputStream][] = [];
    const sink = new OutputSink(
      () => 'w',
      (l, s) => lines.push([l, s]),
      () => {},
    );
    const pipe = new PassThrough();
    sink.attach(pipe, 'stdout');
    const euro = Buffer.from('€');
    pipe.write('one\ntw');
    pipe.write(Buffer.concat([Buffer.from('o '), euro.subarray(0, 1)]));
    pipe.write(Buffer.concat([euro.subarray(1), Buffer.from('\r\nthree')]));
    pipe.end();
    await new Promise((r) => pipe.on('end', r));
    expect(lines).toEqual([
      ['one', 'stdout'],
      ['two €', 'stdout'],
      ['three', 'stdout'],
    ]);
  });

  it('keeps the last stderr lines for start errors and survives a throwing handler', () => {
    const sink = new OutputSink(
      () => 'w',
      () => {
        throw new Error('boom');
      },
      () => {},
    );
    for (let i = 0; i < 30; i++) sink.line(`e${i}`, 'stderr');
    expect(sink.recentStderr).toHaveLength(20);
    expect(sink.recentStderr.at(-1)).toBe('e29');
  });

  it("'ignore' still reports lines to the event hook", () => {
    const seen: string[] = [];
    const sink = new OutputSink(
      () => 'w',
      'ignore',
      (l) => seen.push(l),
    );
    sink.text('a\nb', 'stdout');
    expect(seen).toEqual(['a', 'b']);
  });
});
