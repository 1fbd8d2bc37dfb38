/**
 * Scenario 14: a connect-mode service is SIGKILLed and, a little later, a new process registers
 * the same id on another port. The parent connected to the old one must find the new one by
 * itself, without a new connect().
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileServiceRegistry, ParentWorker } from 'multifrost';
import { check, startService, waitFor, type Scenario } from '../support.js';

const SERVICE = 'moving';

export const movedService: Scenario = {
  id: 14,
  name: 'A service that moves',
  proves:
    'a service is SIGKILLed, the parent marks it unresponsive, and a new process registers the id on a new port 1.7 s later: the same parent follows it and its calls succeed again',
  async run({ full }) {
    const home = mkdtempSync(path.join(tmpdir(), 'mf-moved-'));
    const registry = new FileServiceRegistry({ home });
    const rounds = full ? 3 : 1;
    let parent: ParentWorker | undefined;
    let service: ChildProcess | undefined;
    const endpoints: string[] = [];
    try {
      service = await startService('worker.mjs', home, SERVICE).ready;
      endpoints.push((await registry.lookup(SERVICE))!.endpoint);
      parent = await ParentWorker.connect(SERVICE, {
        registry,
        heartbeatIntervalMs: 200,
        heartbeatTimeoutMs: 200,
        heartbeatMaxMisses: 2,
        output: 'ignore',
      });
      const p = parent;
      check((await p.call.add!(1, 2)) === 3, 'the first call failed');
      let unresponsive = 0;
      p.on('unresponsive', () => unresponsive++);
      const followMs: number[] = [];
      for (let round = 0; round < rounds; round++) {
        service.kill('SIGKILL');
        await waitFor(() => unresponsive > round, 15_000, 'the parent to mark the service unresponsive');
        await new Promise((r) => setTimeout(r, 1_700));
        service = await startService('worker.mjs', home, SERVICE).ready;
        const moved = (await registry.lookup(SERVICE))!.endpoint;
        endpoints.push(moved);
        check(moved !== endpoints[endpoints.length - 2], `the new service reused ${moved}; the scenario needs a move`);
        // Calls as a user's retry loop would make them; each fails fast or within 500 ms.
        const t0 = Date.now();
        let tries = 0;
        for (;;) {
          tries++;
          if ((await p.with({ timeoutMs: 500 }).call.add!(2, 3).catch(() => 0)) === 5) break;
          check(Date.now() - t0 < 20_000, `no call succeeded in 20 s (${tries} tries) after the move to ${moved}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        followMs.push(Date.now() - t0);
      }
      return {
        figures: {
          moves: rounds,
          endpoints: endpoints.join(' → '),
          'first answered call after each new registration (ms)': followMs.join(', '),
        },
      };
    } finally {
      await parent?.close();
      service?.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  },
};
