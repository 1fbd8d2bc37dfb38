/**
 * Splits a stream of text into lines in linear time. A partial line is kept as a list of pieces
 * and joined once when it ends, so a 20 MB line in 64 KiB chunks costs one copy, not one per chunk.
 *
 * Line ends: `\n`, `\r\n` (one end, even when split across chunks) and a lone `\r`. A lone `\r`
 * is how progress bars redraw their line, so each `\r`-terminated segment is delivered at once as
 * a line of its own instead of waiting for the final newline; an empty one (`\r` at the start of
 * a line) is skipped, since it would only print a blank line. A line longer than `maxLineChars`
 * is delivered in pieces of that size, so a worker that never writes a newline cannot make us
 * buffer without bound.
 */

/** Default longest line kept in memory before it is delivered as a partial line (1 MiB of text). */
export const DEFAULT_MAX_LINE_CHARS = 1024 * 1024;

export class LineSplitter {
  private pieces: string[] = [];
  private buffered = 0;
  /** The last chunk ended in `\r`: a `\n` at the start of the next one belongs to that line end. */
  private afterCR = false;
  /**
   * Characters copied into delivered lines so far (joins and slices). Tests use it to prove the
   * work is linear: it stays within a small multiple of the input size whatever the chunking.
   */
  charsCopied = 0;
  /** Characters looked at while searching for line ends, for the same proof. */
  charsScanned = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineChars = DEFAULT_MAX_LINE_CHARS,
  ) {}

  write(text: string): void {
    let pos = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (text.startsWith('\n')) pos = 1;
    }
    const n = text.length;
    // Where the next `\r` and `\n` are, each found once and reused until passed: searching the
    // rest of the chunk for the absent one on every line would make many short lines quadratic.
    let cr = this.find(text, '\r', pos);
    let nl = this.find(text, '\n', pos);
    while (pos < n) {
      if (cr >= 0 && cr < pos) cr = this.find(text, '\r', pos);
      if (nl >= 0 && nl < pos) nl = this.find(text, '\n', pos);
      const end = cr < 0 || (nl >= 0 && nl < cr) ? nl : cr;
      if (end < 0) {
        this.keep(text, pos, n);
        return;
      }
      const isCR = text.charCodeAt(end) === 13;
      const crlf = isCR && end + 1 < n && text.charCodeAt(end + 1) === 10;
      this.keep(text, pos, end);
      this.deliver(isCR && !crlf);
      if (isCR && !crlf && end + 1 === n) this.afterCR = true;
      pos = crlf ? end + 2 : end + 1;
    }
  }

  /** Delivers what is left (the stream ended without a final newline). */
  end(): void {
    this.afterCR = false;
    if (this.buffered > 0) this.deliver(false);
  }

  /** Adds text[from, to) to the partial line, delivering full-size pieces of an overlong line. */
  private keep(text: string, from: number, to: number): void {
    while (to - from > 0) {
      const room = this.maxLineChars - this.buffered;
      const take = Math.min(room, to - from);
      this.pieces.push(from === 0 && take === text.length ? text : this.copy(text, from, from + take));
      this.buffered += take;
      from += take;
      if (this.buffered >= this.maxLineChars) this.deliver(false);
    }
  }

  private find(text: string, char: string, from: number): number {
    const at = text.indexOf(char, from);
    this.charsScanned += (at < 0 ? text.length : at + 1) - from;
    return at;
  }

  private copy(text: string, from: number, to: number): string {
    this.charsCopied += to - from;
    return text.slice(from, to);
  }

  private deliver(fromCR: boolean): void {
    const pieces = this.pieces;
    this.pieces = [];
    const size = this.buffered;
    this.buffered = 0;
    if (fromCR && size === 0) return;
    let line: string;
    if (pieces.length === 1) line = pieces[0]!;
    else {
      this.charsCopied += size;
      line = pieces.join('');
    }
    this.onLine(line);
  }
}
