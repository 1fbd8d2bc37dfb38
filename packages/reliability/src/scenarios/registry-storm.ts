/** Scenario 8: the registry under fire from many processes, some killed mid-operation. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileServiceRegistry } from '@multifrost/registry';
import { check, fixture, isAlive, type Scenario } from '../support.js';

export const registryStorm: Scenario = {
  id: 8,
  name: 'Registry under fire',
  proves:
    'processes register/unregister/discover while others are SIGKILLed: the file is never invalid JSON, no live service disappears, entries of dead PIDs are reclaimed',
  async run({ full }) {
    const seconds = full ? 30 : 3;
    const home = mkdtempSync(path.join(tmpdir(), 'mf-storm-'));
    const stableIds = Array.from({ length: 5 }, (_, i) => `stable-${i}`);
    const procs: ChildProcess[] = [];
    const start = (id: string, role: string) => {
      const p = spawn(process.execPath, [fixture('registry-churn.mjs'), home, id, role, stableIds.join(',')], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      procs.push(p);
      return p;
    };
    let reads = 0;
    let invalid = 0;
    let missingStable = 0;
    let cycles = 0;
    let kills = 0;
    try {
      const stable = stableIds.map((id) => start(id, 'stable'));
      await Promise.all(
        stable.map(
          (p) =>
            new Promise<void>((r) => p.stdout!.on('data', (d: Buffer) => d.toString().includes('registered') && r())),
        ),
      );
      let churners = Array.from({ length: 15 }, (_, i) => start(`churn-${i}`, 'churn'));
      const countCycles = (p: ChildProcess) =>
        p.stdout!.on('data', (d: Buffer) => (cycles += d.toString().split('cycle').length - 1));
      churners.forEach(countCycles);
      // The window starts once the churners are up: starting 20 Node processes on a busy 2-core
      // machine can take longer than the fast subset's whole window (seen once in CI: no cycle at all).
      const upBy = Date.now() + 30_000;
      while (cycles === 0 && Date.now() < upBy) await new Promise((r) => setTimeout(r, 20));
      const stopAt = Date.now() + seconds * 1000;
      let nextKill = Date.now() + 300;
      while (Date.now() < stopAt) {
        try {
          const data = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8')) as Record<string, unknown>;
          reads++;
          for (const id of stableIds) if (!data[id]) missingStable++;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') invalid++;
        }
        if (Date.now() >= nextKill) {
          // Kill a random churner (perhaps mid-write, perhaps holding the lock) and replace it.
          const i = Math.floor(Math.random() * churners.length);
          churners[i]!.kill('SIGKILL');
          kills++;
          const replacement = start(`churn-${i}`, 'churn');
          countCycles(replacement);
          churners = churners.map((p, j) => (j === i ? replacement : p));
          nextKill = Date.now() + 500;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(
        procs.map((p) =>
          p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r)),
        ),
      );
      // Every churner is dead now: their leftovers must be reclaimable by anyone.
      const registry = new FileServiceRegistry({ home });
      const leftovers = Object.keys(JSON.parse(readFileSync(registry.file, 'utf8')) as object);
      let reclaimed = 0;
      for (const id of leftovers) {
        await registry.register(id, async () => 'tcp://127.0.0.1:1234');
        reclaimed++;
      }
      check(invalid === 0, `${invalid} reads saw invalid JSON`);
      check(missingStable === 0, `live services disappeared ${missingStable} times`);
      check(cycles > 0, 'no churn cycle completed');
      check(
        procs.every((p) => !isAlive(p.pid!)),
        'storm processes left running',
      );
      return {
        figures: {
          'duration (s)': seconds,
          'processes (5 stable, 15 churning)': 20,
          'churners SIGKILLed (and replaced)': kills,
          'register→discover→unregister cycles': cycles,
          'file reads, all valid JSON': reads,
          'stable services missing in any read': missingStable,
          'dead entries reclaimed at the end': reclaimed,
        },
      };
    } finally {
      for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  },
};
