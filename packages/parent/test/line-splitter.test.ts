import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../src/line-splitter.js';

function split(chunks: string[], maxLineChars?: number): { lines: string[]; splitter: LineSplitter } {
  const lines: string[] = [];
  const splitter = new LineSplitter((l) => lines.push(l), maxLineChars);
  for (const c of chunks) splitter.write(c);
  splitter.end();
  return { lines, splitter };
}

function chunked(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

describe('LineSplitter', () => {
  it('copies a 20 MB line arriving in 64 KiB chunks about once, not once per chunk', () => {
    const size = 20 * 1024 * 1024;
    const line = 'x'.repeat(size);
    const { lines, splitter } = split([...chunked(line, 64 * 1024), '\n'], Infinity);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBe(size);
    // The old splitter (rest += chunk; rest.slice) copied ~n²/2/chunk characters: ~3,000× the input here.
    expect(splitter.charsCopied).toBeLessThanOrEqual(2 * size);
    expect(splitter.charsScanned).toBeLessThanOrEqual(3 * size);
  });

  it('does linear work for a chunk of many short lines, with and without \\r', () => {
    const plain = 'ab\n'.repeat(200_000);
    const progress = 'ab\r'.repeat(200_000);
    for (const text of [plain, progress]) {
      const { lines, splitter } = split([text]);
      expect(lines).toHaveLength(200_000);
      expect(splitter.charsCopied).toBeLessThanOrEqual(2 * text.length);
      // Each of `\r` and `\n` is searched for across the text once, not once per line.
      expect(splitter.charsScanned).toBeLessThanOrEqual(3 * text.length);
    }
  });

  it('delivers an overlong line in pieces of maxLineChars instead of buffering it all', () => {
    const seen: string[] = [];
    const splitter = new LineSplitter((l) => seen.push(l), 10);
    splitter.write('0123456789abcdefghij');
    // Delivered before any newline arrived.
    expect(seen).toEqual(['0123456789', 'abcdefghij']);
    splitter.write('klm\n');
    expect(seen).toEqual(['0123456789', 'abcdefghij', 'klm']);
  });

  it('emits each \\r-terminated progress segment as soon as it arrives', () => {
    const seen: string[] = [];
    const splitter = new LineSplitter((l) => seen.push(l));
    splitter.write('\rprogress 10%');
    expect(seen).toEqual([]);
    splitter.write('\rprogress 50%\r');
    expect(seen).toEqual(['progress 10%', 'progress 50%']);
    splitter.write('progress 100%\ndone\n');
    expect(seen).toEqual(['progress 10%', 'progress 50%', 'progress 100%', 'done']);
  });

  it('treats CRLF as one line end, also when split between chunks', () => {
    expect(split(['a\r\nb\r\n']).lines).toEqual(['a', 'b']);
    expect(split(['a\r', '\nb\r', '\n', 'c']).lines).toEqual(['a', 'b', 'c']);
    // An empty CRLF line is still a line; a lone \r at the start of a line adds nothing.
    expect(split(['a\r\n\r\nb\n']).lines).toEqual(['a', '', 'b']);
    expect(split(['\r\rx\n']).lines).toEqual(['x']);
  });

  it('keeps blank lines and flushes an unterminated tail', () => {
    expect(split(['one\n\ntw', 'o\nthree']).lines).toEqual(['one', '', 'two', 'three']);
    expect(split(['']).lines).toEqual([]);
  });
});
