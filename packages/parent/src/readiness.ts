/**
 * Waiting for a new worker to answer: heartbeats are probed until one is answered, the start
 * timeout passes, the process exits, or close() begins. Shared by spawn and connect, so both report
 * start-up failures the same way. With `protocol: 'auto'` each round probes every candidate app id
 * at once (a peer silently drops a message in the other one) and keeps the first that answers.
 */
import { isMultifrostError, type AppId } from '@multifrost/protocol';
import * as messages from './messages.js';
import type { WorkerHost } from './strategy.js';
import { stderrExcerpt } from './stderr-excerpt.js';
import type { ExitInfo } from './worker-process.js';

/** Longest single probe: a worker that comes up late is noticed within this, not at the deadline. */
const PROBE_MS = 1000;

export async function waitUntilAnswering(
  host: WorkerHost,
  deadline: number,
  timeoutMs: number,
  silentText: () => string,
  exited?: Promise<ExitInfo>,
): Promise<void> {
  const fail = (what: string, info: ExitInfo | undefined) =>
    messages.startFailure(host.name, what, info, stderrExcerpt(host.sink.firstStderr, host.sink.recentStderr));
  const died = exited?.then((info) => {
    throw fail(messages.exitedBeforeReady(info), info);
  });
  died?.catch(() => {});
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw fail(silentText() + triedText(host.appCandidates), undefined);
    if (host.closing) throw messages.closedWhileStarting(host.name);
    try {
      const ms = Math.min(remaining, PROBE_MS);
      const candidates = host.appCandidates;
      const probe = candidates
        ? Promise.any(candidates.map((app) => host.heartbeat.probe(ms, app).then(() => app)))
        : host.heartbeat.probe(ms);
      const answer = await (died ? Promise.race([probe, died]) : probe);
      if (candidates) host.chooseApp(answer as AppId);
      return;
    } catch (err) {
      if (isMultifrostError(err)) throw err;
      // No reply yet: the worker is still starting. Probe again.
    }
  }
}

/** What `protocol: 'auto'` tried, for the start error: no answer in any of them. */
function triedText(candidates: readonly AppId[] | undefined): string {
  if (!candidates) return '';
  return `; it was probed with heartbeats in both ${candidates.join(' and ')} (protocol 'auto') and answered neither (a peer drops a message in a version it does not speak, silently)`;
}
