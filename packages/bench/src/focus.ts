/**
 * A focused measurement for profiling work: one target, the pipelined and sequential scenarios
 * only, with the CPU time each side spends per call (from /proc, so the child's share is seen
 * too). Not part of the report; used to compare a change before and after.
 *
 *   pnpm --filter @multifrost/bench focus [target ...] [--rounds N] [--calls N] [--depth N] [--pairs N] [--seq-first] [--each]
 *
 * `--pairs N` drives N parent→child pairs at once from this process (the report's "4 pairs"
 * scenario); the child CPU is then the sum over the N children. Each line ends with the CPU steal
 * the machine saw during the pipelined phases (median and worst round): on a VM, a run with several
 * percent of steal is slow for reasons outside the code.
 *
 * Targets: those of the report plus the EXPERIMENTS of targets.ts (mixed pairs that tell the
 * parent's share from the child's). `pnpm focus` builds the bench and runs dist/focus.js in plain
 * node, as `pnpm bench` does. To profile, run `node --cpu-prof dist/focus.js` after a build and set
 * BENCH_CHILD_NODE to a script that execs `node --cpu-prof "$@"` for the children (Node refuses
 * --cpu-prof in NODE_OPTIONS); children exit cleanly, so their profiles are written.
 */
import { machineCpuTicks, processCpuUs } from '@multifrost/protocol/internal';
import { pipelined, sequential } from './run-one.js';
import { median, percentile } from './stats.js';
import { EXPERIMENTS, startClient, TARGETS, type Client, type TargetName } from './targets.js';
import { numberFlag, bareWords } from './cli-args.js';

/** [user, system] CPU time of a process in µs. */
function cpuUs(pid: number): [number, number] {
  const cpu = processCpuUs(pid);
  if (cpu === undefined) throw new Error(`no CPU figures for pid ${pid} (focus needs Linux /proc)`);
  return [cpu.userUs, cpu.systemUs];
}

/**
 * The machine's CPU time so far, [steal, all], in USER_HZ ticks: time the hypervisor gave to other
 * guests shows as steal. Runs with much of it are slower for reasons that have nothing to do with
 * the code (this VM measured 0–14%), so each figure line shows it.
 */
function machineTicks(): [number, number] {
  const ticks = machineCpuTicks();
  if (ticks === undefined) throw new Error('no machine CPU figures (focus needs Linux /proc)');
  return [ticks.stealTicks, ticks.totalTicks];
}

const perCall = (a: [number, number], b: [number, number], calls: number): [number, number] => [
  (b[0] - a[0]) / calls,
  (b[1] - a[1]) / calls,
];

interface Figures {
  callsPerS: number;
  parentUser: number;
  parentSys: number;
  childUser: number;
  childSys: number;
  seqP50Us: number;
  /** Steal over the pipelined phase, % of the machine's CPU time. */
  stealPct: number;
}

/** CPU time summed over the children. */
const childrenCpuUs = (clients: Client[]): [number, number] =>
  clients.map((c) => cpuUs(c.childPid)).reduce<[number, number]>((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);

async function measure(target: TargetName, calls: number): Promise<Figures> {
  const clients: Client[] = [];
  try {
    for (let i = 0; i < pairs; i++) clients.push(await startClient(target));
    const client = clients[0]!;
    if (seqFirst) await sequential(client, 22_000, Infinity);
    await pipelined(clients, depth, 5_000, Infinity);
    const p0 = cpuUs(process.pid);
    const c0 = childrenCpuUs(clients);
    const m0 = machineTicks();
    const callsPerS = await pipelined(clients, depth, calls, Infinity);
    const m1 = machineTicks();
    const stealPct = m1[1] > m0[1] ? (100 * (m1[0] - m0[0])) / (m1[1] - m0[1]) : 0;
    const [parentUser, parentSys] = perCall(p0, cpuUs(process.pid), calls);
    const [childUser, childSys] = perCall(c0, childrenCpuUs(clients), calls);
    const seqP50Us = percentile(await sequential(client, 5_000, Infinity), 0.5);
    return { callsPerS, parentUser, parentSys, childUser, childSys, seqP50Us, stealPct };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => numberFlag(args, name, fallback);
const rounds = flag('--rounds', 3);
/** Run 22,000 sequential calls first, as the report's run does. */
const seqFirst = args.includes('--seq-first');
const calls = flag('--calls', 100_000);
const depth = flag('--depth', 64);
const pairs = flag('--pairs', 1);
const targets = bareWords<TargetName>(args);
const chosen = targets.length > 0 ? targets : (['raw-zmq', 'multifrost'] as TargetName[]);
for (const t of chosen)
  if (!TARGETS.includes(t) && !EXPERIMENTS.includes(t))
    throw new Error(`unknown target ${t}; one of ${TARGETS.join(', ')}`);

const results = new Map<TargetName, Figures[]>(chosen.map((t) => [t, []]));
for (let r = 0; r < rounds; r++) for (const t of chosen) results.get(t)!.push(await measure(t, calls));
if (args.includes('--each')) {
  for (let r = 0; r < rounds; r++) {
    const raw = results.get('raw-zmq')?.[r];
    console.log(
      `round ${r + 1}: ${chosen.map((t) => `${t} ${results.get(t)![r]!.callsPerS.toFixed(0)}${raw && t !== 'raw-zmq' ? ` (${(results.get(t)![r]!.callsPerS / raw.callsPerS).toFixed(2)}×)` : ''}`).join('  ')}`,
    );
  }
}
for (const [t, runs] of results) {
  const m = (k: keyof Figures) => median(runs.map((x) => x[k]));
  const f = (k: keyof Figures) => m(k).toFixed(1).padStart(5);
  console.log(
    `${t.padEnd(18)} ${m('callsPerS').toFixed(0).padStart(7)} calls/s  µs/call user+sys: parent ${f('parentUser')} +${f('parentSys')}  child ${f('childUser')} +${f('childSys')}  seq p50 ${m('seqP50Us').toFixed(0)} µs  steal ${m('stealPct').toFixed(1)}% (max ${Math.max(...runs.map((x) => x.stealPct)).toFixed(1)})`,
  );
}
process.exit(0);
