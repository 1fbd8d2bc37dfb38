/**
 * Where a worker's output goes: its stdout/stderr pipes (spawn mode) and `stdout`/`stderr`
 * messages (connect mode, or peers that forward) are split into lines and handed to the user's
 * handler, or printed with the worker's name as a prefix. Pipes are always drained, even with
 * `'ignore'`, so a chatty worker can never block on a full pipe (PEERS.md §7 item 8).
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export type OutputStream = 'stdout' | 'stderr';
export type OutputHandler = (line: string, stream: OutputStream) => void;
/** `'inherit'` (default): print `[name] line` to our own stdout/stderr. */
export type OutputOption = 'inherit' | 'ignore' | OutputHandler;

const RECENT_STDERR_LINES = 20;

export class OutputSink {
  /** The last stderr lines, for "exited before it was ready" errors. */
  readonly recentStderr: string[] = [];

  constructor(
    private readonly name: () => string,
    private readonly option: OutputOption,
    private readonly emit: (line: string, stream: OutputStream) => void,
  ) {}

  line(line: string, stream: OutputStream): void {
    if (stream === 'stderr') {
      this.recentStderr.push(line);
      if (this.recentStderr.length > RECENT_STDERR_LINES) this.recentStderr.shift();
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

  /** A chunk of text that may hold several lines (a forwarded message). */
  text(text: string, stream: OutputStream): void {
    for (const line of text.split('\n')) this.line(line.endsWith('\r') ? line.slice(0, -1) : line, stream);
  }

  /** Reads a pipe line by line until it ends. */
  attach(readable: Readable, stream: OutputStream): void {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    readable.on('data', (chunk: Buffer) => {
      rest += decoder.write(chunk);
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        this.line(line.endsWith('\r') ? line.slice(0, -1) : line, stream);
      }
    });
    readable.on('end', () => {
      rest += decoder.end();
      if (rest.length > 0) this.line(rest, stream);
      rest = '';
    });
    readable.on('error', () => {});
  }
}
