/**
 * Splits a stream of bytes into lines in linear time and bounded memory. It works on the raw
 * bytes, before decoding: `\n` and `\r` never occur inside a UTF-8 sequence, so a line end is
 * found without decoding, and each line is decoded once, whole, so a character split across chunks
 * arrives intact. A partial line is kept as a list of chunk slices and joined once when it ends,
 * so a 48 MiB line in 64 KiB chunks costs one copy, not one per chunk.
 *
 * Line ends: `\n`, `\r\n` (one end, even when split across chunks) and a lone `\r`. A lone `\r`
 * is how progress bars redraw their line, so each `\r`-terminated segment is delivered at once as
 * a line of its own instead of waiting for the final newline; an empty one (`\r` at the start of
 * a line) is skipped, since it would only print a blank line.
 *
 * A line longer than `maxLineBytes` is cut: each full piece is delivered with `cut` set (the line
 * goes on in the next piece), so a worker that never writes a newline cannot make us buffer more
 * than about one piece. A cut may fall inside a character; its first bytes are held back and
 * start the next piece, so no piece carries a broken character.
 */
import { StringDecoder } from 'node:string_decoder';

/** Default longest line kept in memory before a piece of it is delivered (1 MiB). */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const LF = 10;
const CR = 13;

/** `cut`: this piece ended at the length cap, not at a line end; the line continues. */
export type LineHandler = (line: string, cut: boolean) => void;

export class LineSplitter {
  private pieces: Buffer[] = [];
  private buffered = 0;
  /** The last chunk ended in `\r`: a `\n` at the start of the next one belongs to that line end. */
  private afterCR = false;
  /** Set from a cut until the line ends: it holds the bytes of a character the cut split. */
  private decoder: StringDecoder | undefined;
  /**
   * Bytes copied into delivered lines so far (joins). Tests use it to prove the work is linear:
   * it stays within a small multiple of the input size whatever the chunking.
   */
  bytesCopied = 0;
  /** Bytes looked at while searching for line ends, for the same proof. */
  bytesScanned = 0;

  constructor(
    private readonly onLine: LineHandler,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  write(chunk: Buffer): void {
    let pos = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (chunk[0] === LF) pos = 1;
    }
    const n = chunk.length;
    // Where the next `\r` and `\n` are, each found once and reused until passed: searching the
    // rest of the chunk for the absent one on every line would make many short lines quadratic.
    let cr = this.find(chunk, CR, pos);
    let nl = this.find(chunk, LF, pos);
    while (pos < n) {
      if (cr >= 0 && cr < pos) cr = this.find(chunk, CR, pos);
      if (nl >= 0 && nl < pos) nl = this.find(chunk, LF, pos);
      const end = cr < 0 || (nl >= 0 && nl < cr) ? nl : cr;
      if (end < 0) {
        this.keep(chunk, pos, n);
        return;
      }
      const isCR = chunk[end] === CR;
      const crlf = isCR && end + 1 < n && chunk[end + 1] === LF;
      this.keep(chunk, pos, end);
      this.deliver(isCR && !crlf);
      if (isCR && !crlf && end + 1 === n) this.afterCR = true;
      pos = crlf ? end + 2 : end + 1;
    }
  }

  /** Delivers what is left (the stream ended without a final newline). */
  end(): void {
    this.afterCR = false;
    if (this.buffered > 0 || this.decoder) this.deliver(false);
  }

  /** Adds chunk[from, to) to the partial line, delivering full-size pieces of an overlong line. */
  private keep(chunk: Buffer, from: number, to: number): void {
    while (to > from) {
      const take = Math.min(this.maxLineBytes - this.buffered, to - from);
      this.pieces.push(from === 0 && take === chunk.length ? chunk : chunk.subarray(from, from + take));
      this.buffered += take;
      from += take;
      if (this.buffered >= this.maxLineBytes) this.cut();
    }
  }

  private find(chunk: Buffer, byte: number, from: number): number {
    const at = chunk.indexOf(byte, from);
    this.bytesScanned += (at < 0 ? chunk.length : at + 1) - from;
    return at;
  }

  private take(): Buffer {
    const pieces = this.pieces;
    this.pieces = [];
    const size = this.buffered;
    this.buffered = 0;
    if (pieces.length === 1) return pieces[0]!;
    this.bytesCopied += size;
    return Buffer.concat(pieces, size);
  }

  private cut(): void {
    this.decoder ??= new StringDecoder('utf8');
    this.onLine(this.decoder.write(this.take()), true);
  }

  private deliver(fromCR: boolean): void {
    const decoder = this.decoder;
    this.decoder = undefined;
    if (fromCR && this.buffered === 0 && !decoder) return;
    const bytes = this.take();
    const line = decoder ? decoder.end(bytes) : bytes.toString('utf8');
    if (fromCR && line === '') return;
    this.onLine(line, false);
  }
}
