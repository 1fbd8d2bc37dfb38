/**
 * Scenario 15: messages over a receiver's size limit. Our own limit answers (or refuses before
 * sending) with TOO_LARGE and the link lives on; a frame even past libzmq's looser net, which cuts
 * a link for good on the side that reads it, is recovered from: the spawn-mode parent restarts a
 * worker that has no connection for the heartbeat window, and a connect-mode parent connects again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createCall,
  isMultifrostError,
  type ErrorMessage,
  type Message,
  type MultifrostError,
} from '@multifrost/protocol';
import { FileServiceRegistry, ParentWorker, zmqTransport } from 'multifrost';
import { check, fixture, startService, waitFor, type Scenario } from '../support.js';

const MiB = 1024 * 1024;
const HEARTBEATS = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 200, heartbeatMaxMisses: 2 } as const;

async function failure(p: Promise<unknown>): Promise<MultifrostError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  check(isMultifrostError(err), `expected a MultifrostError, got ${String(err)}`);
  return err;
}

/** Calls add(2, 3) until it answers; the failures on the way are the fault's cost. */
async function answersAgain(w: ParentWorker, what: string): Promise<number> {
  const t0 = Date.now();
  for (let tries = 1; ; tries++) {
    if ((await w.with({ timeoutMs: 500 }).call.add!(2, 3).catch(() => 0)) === 5) return Date.now() - t0;
    check(Date.now() - t0 < 20_000, `${what}: no call succeeded in 20 s (${tries} tries)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const overSize: Scenario = {
  id: 15,
  name: 'Messages over the size limit',
  proves:
    'a call or reply over a peer’s limit fails with TOO_LARGE (the size, the limit, the function) and the link survives; a frame past libzmq’s own limit, which cuts the link, is recovered from in spawn mode (restart) and connect mode (reconnect)',
  async run() {
    const home = mkdtempSync(path.join(tmpdir(), 'mf-oversize-'));
    const cleanup: (() => Promise<unknown> | unknown)[] = [];
    const figures: Record<string, string | number> = {};
    try {
      const registry = new FileServiceRegistry({ home });
      const startWorker = async (id: string, extra: Record<string, string>) => {
        const { proc, ready } = startService('worker.mjs', home, id, extra);
        cleanup.push(() => proc.kill('SIGKILL'));
        await ready;
      };
      await startWorker('limited', { MF_MAX_BYTES: String(MiB) });
      await startWorker('roomy', {});

      // 1. A sender that does not know the service's 1 MiB limit (a bare transport, like a public
      //    peer) sends a 2 MiB call: the service answers it with TOO_LARGE, and serves the next one.
      const raw = zmqTransport().caller();
      cleanup.push(() => raw.close());
      const answers: Message[] = [];
      raw.onMessage = (m) => answers.push(m);
      raw.connect((await registry.lookup('limited'))!.endpoint);
      await raw.send(createCall({ id: 'big', function: 'add', args: [Buffer.alloc(2 * MiB), 1] }));
      await raw.send(createCall({ id: 'small', function: 'add', args: [1, 2] }));
      await waitFor(() => answers.length >= 2, 10_000, 'answers to the over-size and the small call');
      const big = answers.find((m) => m.id === 'big') as ErrorMessage | undefined;
      check(
        big?.type === 'error' && big.error_code === 'TOO_LARGE',
        `the 2 MiB call got ${JSON.stringify(big)?.slice(0, 200)}`,
      );
      check(/call to add\(\) is \d+ bytes, over the 1048576-byte limit/.test(big.error), `unclear: ${big.error}`);
      check(
        answers.some((m) => m.id === 'small' && m.type === 'response'),
        'the link did not survive the over-size call',
      );
      figures['2 MiB call, sender unaware of the 1 MiB limit'] = big.error;

      // 2. Our parent learned that limit from the heartbeat: the same call fails here, unsent.
      const knowing = await ParentWorker.connect('limited', { registry, output: 'ignore' });
      cleanup.push(() => knowing.close());
      const unsent = await failure(knowing.call.add!(Buffer.alloc(2 * MiB), 1));
      check(
        unsent.code === 'TOO_LARGE' && /not sent/.test(unsent.message),
        `expected an unsent TOO_LARGE: ${unsent.message}`,
      );
      figures['2 MiB call, parent knows the limit'] = unsent.message;
      check((await knowing.call.add!(1, 2)) === 3, 'calls after the refusal failed');

      // 3. A parent with a 1 MiB limit asks for a 3 MiB reply: the child, told the limit by the
      //    heartbeat, answers TOO_LARGE instead of sending it.
      const small = await ParentWorker.connect('roomy', {
        registry,
        transport: zmqTransport({ maxMessageBytes: MiB }),
        output: 'ignore',
      });
      cleanup.push(() => small.close());
      const tooBig = await failure(small.call.bytes!(3 * MiB));
      check(tooBig.code === 'TOO_LARGE', `expected TOO_LARGE for a 3 MiB reply, got ${tooBig.code}: ${tooBig.message}`);
      figures['3 MiB reply to a 1 MiB parent'] = tooBig.message;
      check((await small.call.add!(1, 2)) === 3, 'the connect-mode link did not survive');

      const env = { ...process.env, MULTIFROST_HOME: home, MF_MAX_BYTES: String(MiB) };
      // 3. Spawn mode, past the net: a 16 MiB call to the 1 MiB raw peer cuts its link for good;
      //    with autoRestart the parent replaces the worker once the link stayed gone.
      const cut = await ParentWorker.spawn(fixture('raw-peer.mjs'), {
        env,
        channel: 'tcp',
        output: 'ignore',
        autoRestart: { initialDelayMs: 50 },
        ...HEARTBEATS,
      });
      cleanup.push(() => cut.close());
      const pidBefore = await cut.call.pid!();
      await cut.with({ timeoutMs: 1_000 }).call.add!(Buffer.alloc(16 * MiB), 1).catch(() => undefined);
      figures['spawn mode: first answer after a 16 MiB cut (ms)'] = await answersAgain(cut, 'spawn mode after the cut');
      const pidAfter = await cut.call.pid!();
      check(pidAfter !== pidBefore, 'the worker answered again without a restart: the cut did not happen');

      // 4. Connect mode, past the net: the raw service's 16 MiB reply cuts the 1 MiB parent's
      //    link; the parent connects again by itself.
      const rawService = startService('raw-peer.mjs', home, 'raw-big', { MF_RAW_MODE: 'service' });
      cleanup.push(() => rawService.proc.kill('SIGKILL'));
      await rawService.ready;
      const reader = await ParentWorker.connect('raw-big', {
        registry: new FileServiceRegistry({ home }),
        transport: zmqTransport({ maxMessageBytes: MiB }),
        output: 'ignore',
        ...HEARTBEATS,
      });
      cleanup.push(() => reader.close());
      await reader.with({ timeoutMs: 1_000 }).call.big!(16 * MiB).catch(() => undefined);
      figures['connect mode: first answer after a 16 MiB cut (ms)'] = await answersAgain(
        reader,
        'connect mode after the cut',
      );
      return { figures };
    } finally {
      for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    }
  },
};
