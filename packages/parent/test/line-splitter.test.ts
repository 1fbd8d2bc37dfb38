// The output splitter: linear work, a byte cap past which a line is cut into flagged pieces with
// bounded memory, line ends of every kind, and UTF-8 that survives any chunking and any cut.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from '../src/line-splitter.js';

type Piece = [line: string, cut: boolean];

function split(
  chunks: (string | Buffer)[],
  maxLineBytes?: number,
): { lines: string[]; pieces: Piece[]; splitter: LineSplitter } {
  const pieces: Piece[] = [];
  const splitter = new LineSplitter((l, cut) => pieces.push([l, cut]), maxLineBytes);
  for (const c of chunks) splitter.write(typeof c === 'string' ? Buffer.from(c) : c);
  splitter.end();
  return { lines: pieces.map((p) => p[0]), pieces, splitter };
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('LineSplitter', () => {
  it('cuts a 48 MiB line in 64 KiB chunks into 1 MiB pieces, flagged, copying each byte about once', () => {
    const size = 48 * 1024 * 1024;
    const line = Buffer.alloc(size, 'x');
    let held = 0;
    let count = 0;
    let cuts = 0;
    let total = 0;
    const splitter = new LineSplitter((l, cut) => {
      count++;
      if (cut) cuts++;
      total += l.length;
      held = Math.max(held, l.length);
    });
    for (const c of chunked(line, 64 * 1024)) splitter.write(c);
    splitter.write(Buffer.from('\nnext\n'));
    splitter.end();
    // 48 cut pieces, then the empty rest that ends the line (it ended exactly at a cut), then 'next'.
    expect(count).toBe(48 + 2);
    expect(cuts).toBe(48);
    expect(total).toBe(size + 'next'.length);
    // Bounded: no piece, and so no buffer behind it, is larger than the cap.
    expect(held).toBe(DEFAULT_MAX_LINE_BYTES);
    // The old splitter (rest += chunk; rest.slice) copied ~n²/2/chunk bytes: ~400× the input here.
    expect(splitter.bytesCopied).toBeLessThanOrEqual(2 * size);
    expect(splitter.bytesScanned).toBeLessThanOrEqual(3 * size);
  });

  it('delivers a longer line in flagged pieces of the cap, the last one unflagged', () => {
    const { pieces } = split(['0123456789abcdefghij', 'klm\n', 'short\n'], 10);
    expect(pieces).toEqual([
      ['0123456789', true],
      ['abcdefghij', true],
      ['klm', false],
      ['short', false],
    ]);
  });

  it('a line ending exactly at a cut ends with an empty unflagged piece', () => {
    expect(split(['0123456789\nx\n'], 10).pieces).toEqual([
      ['0123456789', true],
      ['', false],
      ['x', false],
    ]);
  });

  it('delivers a piece of an overlong line before any newline arrives', () => {
    const seen: Piece[] = [];
    const splitter = new LineSplitter((l, cut) => seen.push([l, cut]), 4);
    splitter.write(Buffer.from('abcdefg'));
    expect(seen).toEqual([['abcd', true]]);
  });

  it('does linear work for a chunk of many small lines, with and without \\r', () => {
    const plain = Buffer.from('ab\n'.repeat(200_000));
    const progress = Buffer.from('ab\r'.repeat(200_000));
    for (const text of [plain, progress]) {
      const { lines, splitter } = split([text]);
      expect(lines).toHaveLength(200_000);
      expect(lines.every((l) => l === 'ab')).toBe(true);
      expect(splitter.bytesCopied).toBeLessThanOrEqual(2 * text.length);
      // Each of `\r` and `\n` is searched for across the text once, not once per line.
      expect(splitter.bytesScanned).toBeLessThanOrEqual(3 * text.length);
    }
  });

  it('many small lines across one-byte chunks arrive unchanged', () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i} é€😀`).join('\n');
    const { lines } = split(chunked(Buffer.from(text), 1));
    expect(lines).toEqual(text.split('\n'));
  });

  it('keeps a UTF-8 character split across chunks whole', () => {
    const bytes = Buffer.from('a€b😀c\n');
    for (let at = 1; at < bytes.length - 1; at++) {
      expect(split([bytes.subarray(0, at), bytes.subarray(at)]).lines).toEqual(['a€b😀c']);
    }
  });

  it('never breaks a character at a cut: its bytes start the next piece', () => {
    const text = '😀'.repeat(10) + 'é€'.repeat(10);
    for (const cap of [1, 2, 3, 5, 7, 16]) {
      const { pieces } = split([`${text}\n`], cap);
      expect(pieces.map((p) => p[0]).join('')).toBe(text);
      expect(pieces.some((p) => p[0].includes('\uFFFD'))).toBe(false);
      expect(pieces.at(-1)![1]).toBe(false);
      for (const [piece] of pieces) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(cap + 3);
    }
  });

  it('emits each \\r-terminated progress segment as soon as it arrives', () => {
    const seen: string[] = [];
    const splitter = new LineSplitter((l) => seen.push(l));
    splitter.write(Buffer.from('\rprogress 10%'));
    expect(seen).toEqual([]);
    splitter.write(Buffer.from('\rprogress 50%\r'));
    expect(seen).toEqual(['progress 10%', 'progress 50%']);
    splitter.write(Buffer.from('progress 100%\ndone\n'));
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
