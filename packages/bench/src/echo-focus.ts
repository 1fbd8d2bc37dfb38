/**
 * A focused binary-echo measurement for profiling work, like focus.ts for calls: each target in
 * turn echoes one Buffer many times, one echo at a time, and reports MB/s with the CPU each side
 * spends per echo (the child's from /proc). Not part of the report; used to compare a change
 * before and after, or one target against another in the same run.
 *
 *   pnpm --filter @multifrost/bench echo-focus [target ...] [--size BYTES] [--echoes N] [--rounds N]
 *
 * Defaults: 1 MiB, 800 echoes after 20 warm-up echoes, 3 interleaved rounds; targets as in focus.ts
 * (e.g. `bare-zmq bare-zmq-ipc multifrost multifrost-tcp`).
 */
import { binary } from './run-one.js';
import { median } from './stats.js';
import { EXPERIMENTS, startClient, TARGETS, type TargetName } from './targets.js';
import { numberFlag, bareWords } from './cli-args.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => numberFlag(args, name, fallback);
const size = flag('--size', 1 << 20);
const echoes = flag('--echoes', 800);
const rounds = flag('--rounds', 3);
const targets = bareWords<TargetName>(args);
const chosen = targets.length > 0 ? targets : (['bare-zmq', 'multifrost'] as TargetName[]);
for (const t of chosen) if (!TARGETS.includes(t) && !EXPERIMENTS.includes(t)) throw new Error(`unknown target ${t}`);

type Echo = Awaited<ReturnType<typeof binary>>;

async function measure(target: TargetName): Promise<Echo> {
  const client = await startClient(target);
  try {
    const echo = await binary(client, size, echoes, Infinity, 20);
    if (Number.isNaN(echo.childMs)) throw new Error('echo-focus needs Linux /proc for the child CPU');
    return echo;
  } finally {
    await client.close();
  }
}

const results = new Map<TargetName, Echo[]>(chosen.map((t) => [t, []]));
for (let r = 0; r < rounds; r++) for (const t of chosen) results.get(t)!.push(await measure(t));
for (const [t, runs] of results) {
  const mbps = median(runs.map((e) => e.mbps));
  const parent = median(runs.map((e) => e.parentMs));
  const child = median(runs.map((e) => e.childMs));
  console.log(
    `${t.padEnd(22)} ${mbps.toFixed(0).padStart(6)} MB/s  ms per echo: parent ${parent.toFixed(2)}  child ${child.toFixed(2)}  (rounds: ${runs.map((e) => e.mbps.toFixed(0)).join(', ')} MB/s)`,
  );
}
