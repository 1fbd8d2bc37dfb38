import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
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

  it('flags the pieces of an overlong line: { cut } for a handler, a marker when printed', () => {
    const seen: [string, boolean][] = [];
    const handled = new OutputSink(
      () => 'w',
      (l, _s, info) => seen.push([l, info.cut]),
      () => {},
      8,
    );
    handled.text('0123456789ab\nok', 'stdout');
    expect(seen).toEqual([
      ['01234567', true],
      ['89ab', false],
      ['ok', false],
    ]);
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      new OutputSink(
        () => 'w',
        'inherit',
        () => {},
        8,
      ).text('0123456789ab', 'stdout');
    } finally {
      write.mockRestore();
    }
    expect(printed).toEqual(['[w] 01234567 [line cut at 8 bytes, continued below]\n', '[w] 89ab\n']);
  });

  it('refuses a maxOutputLineBytes that is not an integer from 1 to 2^30', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(
        () =>
          new OutputSink(
            () => 'w',
            'ignore',
            () => {},
            bad,
          ),
      ).toThrow(/maxOutputLineBytes/);
    }
  });
});
