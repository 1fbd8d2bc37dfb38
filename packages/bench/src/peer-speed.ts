/**
 * TS parent ↔ each peer language's child, side by side: sequential p50 of `add(1, 2)` and calls/s
 * with 64 in flight. The peers are this repo's own: the Node child, the project's Python module
 * (.venv), and the Go and Rust interop peers built on the public peers' stacks (go-zeromq,
 * the `zeromq` crate). Interleaved rounds, medians with min–max.
 *
 *   pnpm --filter @multifrost/bench exec tsx src/peer-speed.ts [--rounds 5]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParentWorker, type ProtocolVersion } from 'multifrost';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { middle, pipelinedRate, sequentialP50Us, span } from './call-rates.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const interop = path.join(here, '..', '..', 'interop');

interface Peer {
  name: string;
  script: string;
  executable?: string;
  args?: string[];
  protocol: ProtocolVersion;
}

const PEERS: Peer[] = [
  { name: 'Node (our child)', script: path.join(here, 'servers', 'multifrost-child.mjs'), protocol: 'v4' },
  {
    name: 'Python (project module)',
    script: path.join(here, 'servers', 'python_child.py'),
    executable: pythonBin(),
    protocol: 'v4',
  },
  {
    name: 'Go (go-zeromq)',
    script: path.join(interop, 'go', 'bin', 'peer'),
    args: ['child', '-app', 'v4'],
    protocol: 'v4',
  },
  {
    name: 'Rust (zeromq crate)',
    script: path.join(interop, 'rust', 'target', 'release', 'rust-peer'),
    args: ['child'],
    protocol: 'v4',
  },
];

const argValue = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = argValue('--rounds', 5);
const SEQUENTIAL = 2_000;
const PIPELINED = 20_000;
const IN_FLIGHT = 64;

type Api = { add(a: number, b: number): Promise<number> };

async function measure(peer: Peer): Promise<{ p50: number; rate: number }> {
  const compiled = peer.executable === undefined && !/\.(m?js|ts)$/.test(peer.script);
  const w = await ParentWorker.spawn<Api>(peer.script, {
    executable: compiled ? peer.script : peer.executable,
    args: peer.args ?? [],
    protocol: peer.protocol,
    channel: 'tcp',
    output: 'ignore',
  });
  try {
    const add = (i: number) => w.call.add(i, 1);
    const p50 = await sequentialP50Us(add, SEQUENTIAL);
    return { p50, rate: await pipelinedRate(add, PIPELINED, IN_FLIGHT) };
  } finally {
    await w.close();
  }
}

const available = PEERS.filter((p) => existsSync(p.script) && (p.executable === undefined || existsSync(p.executable)));
for (const p of PEERS.filter((x) => !available.includes(x))) {
  console.error(`skipping ${p.name}: ${p.script} is not built (run the interop tests once to build the peers)`);
}
const samples = new Map(available.map((p) => [p.name, { p50: [] as number[], rate: [] as number[] }]));
console.error(`load before: ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`);
for (let round = 0; round < ROUNDS; round++) {
  // Rotated order, so a burst of load is shared out rather than landing on one peer.
  const order = available.map((_, i) => available[(i + round) % available.length]!);
  for (const peer of order) {
    const { p50, rate } = await measure(peer);
    const s = samples.get(peer.name)!;
    s.p50.push(p50);
    s.rate.push(rate);
    console.error(`round ${round + 1} ${peer.name}: p50 ${p50.toFixed(0)} µs, ${rate.toFixed(0)} calls/s`);
  }
}
console.error(`load after: ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`);
console.log(`| TS parent → child | sequential p50 (µs) | calls/s, ${IN_FLIGHT} in flight |`);
console.log('|---|---:|---:|');
for (const [name, s] of samples) {
  console.log(
    `| ${name} | ${middle(s.p50).toFixed(0)} (${span(s.p50)}) | ${Math.round(middle(s.rate)).toLocaleString('en-US')} (${span(s.rate)}) |`,
  );
}
