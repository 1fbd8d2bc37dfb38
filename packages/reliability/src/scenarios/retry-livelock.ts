/**
 * Scenario 12: retry loops behind an open circuit. The loops run in their own process and are
 * judged from here: a livelock starves that process's timers, so it cannot be its own guard.
 */
import { spawn } from 'node:child_process';
import { check, fixture, type Scenario } from '../support.js';

/** Far longer than the 300 ms reset the fixture uses; only a livelock gets near it. */
const GUARD_MS = 30_000;

export const retryLivelock: Scenario = {
  id: 12,
  name: 'Retry loops behind an open circuit',
  proves:
    'two tight `while (!stop) { try { await call() } catch {} }` loops cannot starve I/O and timers: the circuit half-opens, the probe is answered and the loops end',
  async run() {
    const child = spawn(process.execPath, [fixture('retry-loops.mjs'), fixture('worker.mjs')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    let guardFired = false;
    const guard = setTimeout(() => {
      guardFired = true;
      child.kill('SIGKILL');
    }, GUARD_MS);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(guard);
    check(!guardFired, `the retry loops were still spinning after ${GUARD_MS} ms (a microtask livelock)`);
    check(code === 0, `the retry-loop process exited with ${String(code)}: ${err.slice(-500)}`);
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, number | boolean>;
    check(result.openBefore === true, `the circuit did not open first: ${out}`);
    check(result.ok === 1 && result.closedAfter === true, `no call got through the half-open circuit: ${out}`);
    return {
      figures: {
        'attempts by the two loops': Number(result.attempts),
        'of them CIRCUIT_OPEN': Number(result.circuitOpen),
        'calls that got through': Number(result.ok),
      },
    };
  },
};
