/**
 * Where a worker's output goes: its stdout/stderr pipes (spawn mode) and `stdout`/`stderr`
 * messages (connect mode, or peers that forward) are split into lines and handed to the user's
 * handler, or printed with the worker's name as a prefix. Pipes are always drained, even with
 * `'ignore'`, so a chatty worker can never block on a full pipe.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from './line-splitter.js';

export type OutputStream = 'stdout' | 'stderr';
export type OutputHandler = (line: string, stream: OutputStream) => void;
/** `'inherit'` (default): print `[name] line` to our own stdout/stderr. */
export type OutputOption = 'inherit' | 'ignore' | OutputHandler;

const KEPT_STDERR_LINES = 20;
/** Lines kept for error messages are cut to this many characters (a minified stack is one line). */
const KEPT_LINE_CHARS = 500;

export class OutputSink {
  /** The last stderr lines, for "exited before it was ready" errors. */
  readonly recentStderr: string[] = [];
  /** The first stderr lines: a crash at import prints its reason first and a long stack after. */
  readonly firstStderr: string[] = [];

  constructor(
    private readonly name: () => string,
    private readonly option: OutputOption,
    private readonly emit: (line: string, stream: OutputStream) => void,
  ) {}

  line(line: string, stream: OutputStream): void {
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
        this.option(line, stream);
      } catch {
        // A throwing user handler must not break the pipe reader.
      }
      return;
    }
    (stream === 'stdout' ? process.stdout : process.stderr).write(`[${this.name()}] ${line}\n`);
  }

  /** Forgets kept stderr lines (a restarted process starts a new record). */
  resetStderr(): void {
    this.firstStderr.length = 0;
    this.recentStderr.length = 0;
  }

  /** A forwarded message: whole lines (no trailing newline needed), `\r` segments split like a pipe. */
  text(text: string, stream: OutputStream): void {
    const splitter = new LineSplitter((line) => this.line(line, stream));
    splitter.write(text);
    splitter.end();
  }

  /** Reads a pipe line by line until it ends (see LineSplitter for what ends a line). */
  attach(readable: Readable, stream: OutputStream): void {
    const decoder = new StringDecoder('utf8');
    const splitter = new LineSplitter((line) => this.line(line, stream));
    readable.on('data', (chunk: Buffer) => splitter.write(decoder.write(chunk)));
    readable.on('end', () => {
      splitter.write(decoder.end());
      splitter.end();
    });
    readable.on('error', () => {});
  }
}
