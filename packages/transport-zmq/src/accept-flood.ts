/**
 * Pacing of a socket's monitor events while its listener cannot accept, and the warning that says
 * the process is out of file descriptors.
 *
 * At EMFILE, libzmq 4.3.5's TCP listener cannot take the waiting connection off the kernel's
 * queue, so its descriptor stays readable and the I/O thread retries at once, emitting one
 * `accept:error` per round (zeromq.js monitors ZMQ_EVENT_ALL; it cannot be narrowed). Measured with
 * packages/bench/src/fd-flood.ts (1,100 idle connections, limit 1,024):
 * - read as they come, 135,000 events a second reached JS and kept the main thread 69 % busy;
 *   because zeromq.js resolves `receive()` at once while events are queued, the loop also ran in
 *   microtasks only, starving socket callbacks and timers (6 calls answered in 10 s instead of ~200);
 * - not read at all, the monitor socket (a blocking PAIR) stops the I/O thread in its send, and with
 *   it every connection that thread serves (1 call in 4 s).
 * So the events are read in batches: after each batch the loop yields to the event loop, and a
 * batch that is mostly accept errors is followed by a short pause. A batch is larger than the
 * ~1,000 messages after which libzmq wakes a blocked writer, so each one frees the I/O thread for
 * about as many rounds, in which it also serves the real connections. Nothing is dropped: libzmq
 * blocks rather than discards, so real peers' handshake and disconnect events only come later.
 */
import { readFileSync } from 'node:fs';

/** Events read before the loop yields; over libzmq's wake-up mark (lwm 1,000 of the inproc pipe). */
export const EVENT_BATCH = 1024;
/**
 * Pause after a batch of mostly accept errors: the I/O thread stays blocked meanwhile, so a
 * connected peer's request and then its reply can each wait up to this long (measured: calls took
 * 65 ms median, 150 ms at most, instead of 1 ms), while the main thread did ~5 ms of work per batch
 * (11 % busy). Halving it would roughly double that cost for half the delay.
 */
export const ACCEPT_FLOOD_PAUSE_MS = 50;
/** The out-of-descriptors warning repeats at most this often, with the count of failed accepts. */
export const FD_WARNING_INTERVAL_MS = 60_000;

/**
 * Read while descriptors are still free (the tracker starts before the first bind): at EMFILE
 * not even /proc/self/limits can be opened.
 */
let descriptorLimit: string | null | undefined;

function readDescriptorLimit(): string | null {
  if (descriptorLimit !== undefined) return descriptorLimit;
  descriptorLimit = null;
  if (process.platform !== 'linux') return null;
  try {
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (line) descriptorLimit = line[1] === line[2] ? line[1]! : `${line[1]} (hard ${line[2]})`;
  } catch {
    // No /proc: the warning goes without the number.
  }
  return descriptorLimit;
}

export class AcceptFloodBrake {
  private events = 0;
  private acceptErrors = 0;
  private failedSinceWarning = 0;
  private lastWarningAt: number | undefined;

  constructor(private readonly warn: (message: string) => void) {
    readDescriptorLimit();
  }

  /** Called for every `accept:error`; warns (rate-limited) when descriptors ran out. */
  acceptFailed(address: string | undefined, error: unknown): void {
    this.acceptErrors++;
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code !== 'EMFILE' && code !== 'ENFILE') return;
    this.failedSinceWarning++;
    const now = Date.now();
    if (this.lastWarningAt !== undefined && now - this.lastWarningAt < FD_WARNING_INTERVAL_MS) return;
    this.lastWarningAt = now;
    const failed = this.failedSinceWarning;
    this.failedSinceWarning = 0;
    this.warn(outOfDescriptors(address, code, failed));
  }

  /**
   * Called after each event. Returns a promise to await when the loop should give way (end of a
   * batch), undefined otherwise, so the common path costs no extra microtask.
   */
  afterEvent(): Promise<void> | undefined {
    if (++this.events < EVENT_BATCH) return undefined;
    const flooded = this.acceptErrors * 2 >= this.events;
    this.events = 0;
    this.acceptErrors = 0;
    return new Promise<void>((resolve) => {
      if (flooded) setTimeout(resolve, ACCEPT_FLOOD_PAUSE_MS);
      else setImmediate(resolve);
    });
  }
}

function outOfDescriptors(address: string | undefined, code: 'EMFILE' | 'ENFILE', failed: number): string {
  const where = address ?? 'a bound socket';
  const limit = readDescriptorLimit();
  const what =
    code === 'EMFILE'
      ? `this process is out of file descriptors (EMFILE${limit ? `, limit ${limit}` : ''})`
      : 'the system-wide file table is full (ENFILE)';
  return (
    `${where} cannot accept new connections: ${what}; ${failed} accept(s) failed since the last warning. ` +
    'Connected peers are still served; new ones wait until descriptors are free. Raise the limit ' +
    '(ulimit -n, systemd LimitNOFILE) above the connections you expect, and lower ' +
    'zmtpHandshakeTimeoutMs so connections that never complete a handshake are closed sooner.'
  );
}
