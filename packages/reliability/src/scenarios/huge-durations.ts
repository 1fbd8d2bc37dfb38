/** Issue 14, item 4: durations at or past 2^31 ms, or Infinity, never become 1 ms timers. */
import { ParentWorker, zmqTransport, type MultifrostError, type TransportFactory } from 'multifrost';
import { check, fixture, type Scenario } from '../support.js';

const DAY = 24 * 3600 * 1000;

interface LongHaul {
  hold(ms: number): { aborted: boolean; deadline: number | null };
}

/** zmqTransport() with the heartbeats the parent sends counted. */
function countingTransport(): { factory: TransportFactory; beats: () => number } {
  const base = zmqTransport();
  let beats = 0;
  const factory: TransportFactory = {
    name: base.name,
    service: () => base.service(),
    caller: () => {
      const t = base.caller();
      const send = t.send.bind(t);
      const post = t.post.bind(t);
      t.send = (msg) => {
        if (msg.type === 'heartbeat') beats++;
        return send(msg);
      };
      t.post = (msg, onError) => {
        if (msg.type === 'heartbeat') beats++;
        return post(msg, onError);
      };
      return t;
    },
  };
  return { factory, beats: () => beats };
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return (err as MultifrostError).code;
  }
  return 'accepted';
}

export const hugeDurations: Scenario = {
  id: 18,
  name: 'Durations of 25 days, 2^31 ms and Infinity',
  proves:
    'far call deadlines do not abort on either side, Infinity heartbeats and graces do not spin or kill, bad values are INVALID_ARGUMENT, no TimeoutOverflowWarning',
  async run({ full }) {
    // Within maxConcurrency + maxQueue (1,088), so every call is held rather than refused with BUSY.
    const calls = full ? 1000 : 200;
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const stderr: string[] = [];
    const { factory, beats } = countingTransport();
    const w = await ParentWorker.spawn<LongHaul>(fixture('long-haul.mjs'), {
      transport: factory,
      heartbeatIntervalMs: Number.POSITIVE_INFINITY,
      heartbeatTimeoutMs: Number.POSITIVE_INFINITY,
      closeGraceMs: Number.POSITIVE_INFINITY,
      circuitBreaker: { resetTimeoutMs: 2 ** 31 },
      autoRestart: { initialDelayMs: Number.POSITIVE_INFINITY },
      output: (line, stream) => {
        if (stream === 'stderr') stderr.push(line);
      },
    });
    let closed = false;
    try {
      const beatsAtStart = beats();
      const results = await Promise.all(
        Array.from({ length: calls }, (_, i) => w.with({ timeoutMs: i % 2 === 0 ? 25 * DAY : 2 ** 31 }).call.hold(100)),
      );
      const aborted = results.filter((r) => r.aborted).length;
      check(aborted === 0, `${aborted} of ${calls} far-deadline calls were aborted on the worker`);
      check(
        results.every((r) => r.deadline !== null && r.deadline > Date.now() + 24 * DAY),
        'a far deadline did not reach the worker',
      );
      const beatsDuring = beats() - beatsAtStart;
      check(beatsDuring <= 1, `heartbeatIntervalMs: Infinity sent ${beatsDuring} heartbeats`);
      const badInterval = await code(
        ParentWorker.spawn(fixture('long-haul.mjs'), { output: 'ignore', heartbeatIntervalMs: -1 }),
      );
      const zeroTimeout = await code(w.with({ timeoutMs: 0 }).call.hold(1));
      const nanTimeout = await code(w.with({ timeoutMs: Number.NaN }).call.hold(1));
      check(badInterval === 'INVALID_ARGUMENT', `heartbeatIntervalMs: -1 gave ${badInterval}`);
      check(zeroTimeout === 'INVALID_ARGUMENT', `timeoutMs: 0 gave ${zeroTimeout}`);
      check(nanTimeout === 'INVALID_ARGUMENT', `timeoutMs: NaN gave ${nanTimeout}`);
      // closeGraceMs: Infinity waits for the call in flight instead of killing the worker at once.
      const inFlight = w.call.hold(300);
      const exit = new Promise<{ code: number | null }>((r) => w.once('exit', r));
      await w.close();
      closed = true;
      const last = await inFlight.then(
        (r) => (r.aborted ? 'aborted' : 'answered'),
        (e: MultifrostError) => e.code,
      );
      const exitInfo = await exit;
      check(last === 'answered', `the call in flight at close() with an infinite grace ended as ${last}`);
      check(exitInfo.code === 0, `the worker exited with ${JSON.stringify(exitInfo)}`);
      const overflow = warnings.filter((n) => n === 'TimeoutOverflowWarning').length;
      check(overflow === 0, `${overflow} TimeoutOverflowWarnings in the parent`);
      check(!stderr.join('\n').includes('TimeoutOverflowWarning'), 'TimeoutOverflowWarning in the worker');
      return {
        figures: {
          'calls with a 25-day / 2^31 ms timeout': calls,
          'aborted on the worker': aborted,
          'heartbeats sent with heartbeatIntervalMs: Infinity': beatsDuring,
          'timeoutMs: 0 / NaN, heartbeatIntervalMs: -1': `${zeroTimeout} / ${nanTimeout} / ${badInterval}`,
          'call in flight at close(), closeGraceMs: Infinity': `${last}, exit ${exitInfo.code}`,
          TimeoutOverflowWarnings: overflow,
        },
      };
    } finally {
      process.off('warning', onWarning);
      if (!closed) await w.close();
    }
  },
};
