/**
 * Where a worker's output goes: its stdout/stderr pipes (spawn mode) and `stdout`/`stderr`
 * messages (connect mode, or peers that forward) are split into lines and handed to the user's
 * handler, or printed with the worker's name as a prefix. Pipes are always drained, even with
 * `'ignore'`, so a chatty worker can never block on a full pipe. A line longer than
 * `maxOutputLineBytes` comes in pieces: the handler is told with `info.cut`, and a printed piece
 * ends with a marker, so a cut is never mistaken for the worker's own line end.
 */
import type { Readable } from 'node:stream';
import { MultifrostError } from '@multifrost/protocol';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './line-splitter.js';

export type OutputStream = 'stdout' | 'stderr';
/** About one delivered line. */
export interface OutputLineInfo {
  /** The line was longer than `maxOutputLineBytes`: this piece ended at the cap and the line goes on in the next one. */
  readonly cut: boolean;
}
export type OutputHandler = (line: string, stream: OutputStream, info: OutputLineInfo) => void;
/** `'inherit'` (default): print `[name] line` to our own stdout/stderr. */
export type OutputOption = 'inherit' | 'ignore' | OutputHandler;

const KEPT_STDERR_LINES = 20;
/** Lines kept for error messages are cut to this many characters (a minified stack is one line). */
const KEPT_LINE_CHARS = 500;
/** Largest accepted cap: one Buffer must hold a piece, and more is no longer "bounded" in practice. */
const MAX_LINE_BYTES_LIMIT = 2 ** 30;
const CUT: OutputLineInfo = Object.freeze({ cut: true });
const WHOLE: OutputLineInfo = Object.freeze({ cut: false });

/** The `maxOutputLineBytes` option: an integer number of bytes, at least 1, at most 1 GiB. */
export function maxOutputLineBytes(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LINE_BYTES_LIMIT) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `maxOutputLineBytes must be an integer from 1 to ${MAX_LINE_BYTES_LIMIT}, got ${String(value)}`,
      { details: { option: 'maxOutputLineBytes' } },
    );
  }
  return value;
}

export class OutputSink {
  /** The last stderr lines, for "exited before it was ready" errors. */
  readonly recentStderr: string[] = [];
  /** The first stderr lines: a crash at import prints its reason first and a long stack after. */
  readonly firstStderr: string[] = [];
  private readonly maxLineBytes: number;

  constructor(
    private readonly name: () => string,
    private readonly option: OutputOption,
    private readonly emit: (line: string, stream: OutputStream) => void,
    maxLineBytes?: number,
  ) {
    this.maxLineBytes = maxOutputLineBytes(maxLineBytes);
  }

  line(line: string, stream: OutputStream, cut = false): void {
    if (stream === 'stderr') {
      const kept = line.length > KEPT_LINE_CHARS ? `${line.slice(0, KEPT_LINE_CHARS)}…` : line;
      if (this.firstStderr.length < KEPT_STDERR_LINES) this.firstStderr.push(kept);
      this.recentStderr.push(kept);
      if (this.recentStderr.length > KEPT_STDERR_LINES) this.recentStderr.shift();
    }
    this.emit(line, stream);
    if (this.option === 'ignore') return;
    if (typeof this.option === 'function') {
      try {
        this.option(line, stream, cut ? CUT : WHOLE);
      } catch {
        // A throwing user handler must not break the pipe reader.
      }
      return;
    }
    const marker = cut ? ` [line cut at ${this.maxLineBytes} bytes, continued below]` : '';
    (stream === 'stdout' ? process.stdout : process.stderr).write(`[${this.name()}] ${line}${marker}\n`);
  }

  /** Forgets kept stderr lines (a restarted process starts a new record). */
  resetStderr(): void {
    this.firstStderr.length = 0;
    this.recentStderr.length = 0;
  }

  /** A forwarded message: whole lines (no trailing newline needed), `\r` segments split like a pipe. */
  text(text: string, stream: OutputStream): void {
    const splitter = this.splitter(stream);
    splitter.write(Buffer.from(text, 'utf8'));
    splitter.end();
  }

  /** Reads a pipe line by line until it ends (see LineSplitter for what ends a line). */
  attach(readable: Readable, stream: OutputStream): void {
    const splitter = this.splitter(stream);
    readable.on('data', (chunk: Buffer | string) =>
      splitter.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk),
    );
    readable.on('end', () => splitter.end());
    readable.on('error', () => {});
  }

  private splitter(stream: OutputStream): LineSplitter {
    return new LineSplitter((line, cut) => this.line(line, stream, cut), this.maxLineBytes);
  }
}
