/**
 * The latency study of issue 16 (item 7), "Latency below ZeroMQ's floor": sequential round trips
 * of bare zeromq.js frames over tcp://127.0.0.1 and over ipc://, a plain Node Unix-domain socket,
 * fork IPC, and Multifrost on its default private ipc:// channel, on TCP and over the bench-only
 * Unix-socket TransportFactory (parent and child unchanged). Targets interleave
 * within each round, each with a fresh child.
 *
 *   pnpm --filter @multifrost/bench latency-floor [target ...] [--rounds N] [--calls N]
 */
import { loadavg } from 'node:os';
import { sequential } from './run-one.js';
import { median, percentile } from './stats.js';
import { startClient, type TargetName } from './targets.js';
import { numberFlag, bareWords } from './cli-args.js';

const LABELS: Partial<Record<TargetName, string>> = {
  'bare-zmq': 'ZeroMQ, tcp://127.0.0.1 (bare frames)',
  'bare-zmq-ipc': 'ZeroMQ, ipc:// (bare frames)',
  'unix-socket': 'Node Unix-domain socket (length-prefixed msgpack)',
  'fork-ipc': "fork IPC (serialization: 'advanced')",
  multifrost: 'Multifrost → Node, private ipc:// channel (default)',
  'multifrost-tcp': 'Multifrost → Node, tcp://127.0.0.1',
  'multifrost-unix': 'Multifrost → Node over the prototype Unix-socket transport (unix-transport.ts)',
};

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => numberFlag(args, name, fallback);
const rounds = flag('--rounds', 5);
const calls = flag('--calls', 5_000);
const named = bareWords<TargetName>(args);
const targets = named.length > 0 ? named : (Object.keys(LABELS) as TargetName[]);

const results = new Map<TargetName, { p50: number; p99: number }[]>(targets.map((t) => [t, []]));
const load = loadavg()[0]!.toFixed(2);
for (let r = 0; r < rounds; r++) {
  const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
  for (const target of order) {
    const client = await startClient(target);
    try {
      await sequential(client, 1_000, Infinity);
      const s = await sequential(client, calls, Infinity);
      results.get(target)!.push({ p50: percentile(s, 0.5), p99: percentile(s, 0.99) });
    } finally {
      await client.close();
    }
  }
}
console.log(
  `${rounds} rounds × ${calls} sequential calls after 1,000 warm-up; load before ${load}; medians (min–max)\n`,
);
console.log('| transport | p50 (µs) | p99 (µs) |');
console.log('|---|---:|---:|');
for (const [t, rs] of results) {
  const show = (k: 'p50' | 'p99') => {
    const xs = rs.map((x) => x[k]);
    return `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  };
  console.log(`| ${LABELS[t] ?? t} | ${show('p50')} | ${show('p99')} |`);
}
process.exit(0);
