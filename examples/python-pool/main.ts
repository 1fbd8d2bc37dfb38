// Node fans CPU-bound work out to a pool of Python processes: one GIL per worker, every core busy.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RemoteCallError, WorkerPool } from 'multifrost';

interface PrimesApi {
  count_primes(lo: number, hi: number): { count: number; pid: number };
}

const size = Math.max(2, Math.min(4, availableParallelism()));
// A .py script runs with $PYTHON_BIN (the start script sets it to the project's .venv), else python3.
// Python workers with plain methods serve one call at a time, so the pool's concurrency is 1 each.
await using pool = await WorkerPool.spawn<PrimesApi>(fileURLToPath(new URL('./primes.py', import.meta.url)), {
  size,
});
pool.on('worker-exit', (e) => console.log(`worker ${e.worker} exited (${e.signal ?? e.code}); replacing it`));

const limit = 400_000;
const chunk = 25_000;
const ranges: [number, number][] = [];
for (let lo = 0; lo < limit; lo += chunk) ranges.push([lo, lo + chunk]);

const t0 = performance.now();
const parts = await Promise.all(ranges.map(([lo, hi]) => pool.call.count_primes(lo, hi)));
const ms = performance.now() - t0;

const total = parts.reduce((sum, p) => sum + p.count, 0);
const byPid = new Map<number, number>();
for (const p of parts) byPid.set(p.pid, (byPid.get(p.pid) ?? 0) + 1);
console.log(`primes below ${limit}: ${total} (${ranges.length} chunks on ${size} Python workers, ${ms.toFixed(0)} ms)`);
console.log('chunks per worker pid:', Object.fromEntries(byPid));
if (total !== 33_860) throw new Error(`expected 33860 primes below ${limit}, got ${total}`);

const m = pool.metrics;
console.log(
  `calls: ${m.requestsSucceeded} ok, p50 ${m.latencyMs.p50} ms, p99 ${m.latencyMs.p99} ms (queue time included)`,
);

try {
  await pool.call.count_primes(10, 1);
} catch (err) {
  if (err instanceof RemoteCallError) console.log(`Python raised ${err.remoteType}: ${err.remoteMessage}`);
}
