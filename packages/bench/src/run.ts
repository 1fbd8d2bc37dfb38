/**
 * The benchmark: every target measured in one run, interleaved (A B C … A B C …), each run in a
 * fresh parent process with a fresh child, medians over the rounds, ratios to the best column of
 * each round. A run that fails or does not finish in time is killed (its process group) and its
 * figures are n/a; the rest of the run goes on.
 *
 *   pnpm bench                           3 rounds, prints the table and writes it into docs/benchmarks.md
 *   pnpm bench -- --rounds 5             more rounds
 *   pnpm bench -- --quick                tiny counts, 1 round, prints the table only
 *   pnpm bench -- --targets a,b          some columns only (names in targets.ts)
 *   pnpm bench -- --no-write / --write   override whether docs/benchmarks.md is written
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type MergedResult, type Results, ROWS, renderBlock, renderTable, spliceBlock } from './report.js';
import type { RunResult } from './run-one.js';
import { median } from './stats.js';
import { EXPERIMENTS, pythonBin, TARGETS, type TargetName } from './targets.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/**
 * run-one beside this file: its built .js in plain node (`pnpm bench` runs dist/), or its .ts
 * under tsx when this file runs from source.
 */
const fromSource = import.meta.url.endsWith('.ts');
const runOne = fromSource
  ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, path.join(here, 'run-one.ts')]
  : [path.join(here, 'run-one.js')];

/** One run of one target in its own process group; undefined when it failed or overran `limitMs`. */
function runInFreshProcess(target: TargetName, quick: boolean, limitMs: number): Promise<RunResult | undefined> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...runOne, target, ...(quick ? ['--quick'] : [])],
      // Its own group, so a hung run is killed with every baseline child it started.
      { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      process.stderr.write(`${target}: no result after ${limitMs / 1000} s, killed; reported as n/a\n`);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) {
        // JSON has no NaN: a scenario without a result arrives as null.
        const parsed = JSON.parse(line, (_k, v) => (v === null ? Number.NaN : v)) as RunResult;
        resolve(parsed);
      } else {
        if (code !== null) process.stderr.write(`${target}: run failed (exit ${code}); reported as n/a\n`);
        resolve(undefined);
      }
    });
  });
}

export async function runBenchmarks(options: {
  quick: boolean;
  rounds: number;
  targets?: TargetName[];
  /** Kill a run of one target after this long (default 120 s, 45 s with quick). */
  runLimitMs?: number;
}): Promise<Results> {
  const targets = options.targets ?? TARGETS;
  const limit = options.runLimitMs ?? (options.quick ? 45_000 : 120_000);
  const rounds: Partial<Record<TargetName, RunResult>>[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const results: Partial<Record<TargetName, RunResult>> = {};
    // Rotate the order each round, so no target always runs right after the same neighbour.
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
    for (const target of order) {
      process.stderr.write(`round ${round}/${options.rounds}: ${target}\n`);
      results[target] = await runInFreshProcess(target, options.quick, limit);
    }
    rounds.push(results);
  }
  return merge(targets, rounds);
}

/** Medians over the rounds; each ratio is taken within its round, so machine drift between rounds cancels. */
export function merge(targets: TargetName[], rounds: Partial<Record<TargetName, RunResult>>[]): Results {
  const out: Results = {};
  for (const target of targets) out[target] = { ratios: {} };
  for (const row of ROWS) {
    const perRound = rounds.map((round) => {
      const values = targets.map((t) => round[t]?.[row.key] ?? Number.NaN).filter((v) => Number.isFinite(v));
      const best = row.better === 'higher' ? Math.max(...values) : Math.min(...values);
      return { round, best };
    });
    for (const target of targets) {
      const merged = out[target] as MergedResult;
      merged[row.key] = median(rounds.map((r) => r[target]?.[row.key] ?? Number.NaN));
      merged.ratios[row.key] = median(
        perRound.map(({ round, best }) => (round[target]?.[row.key] ?? Number.NaN) / best),
      );
    }
  }
  return out;
}

function machine(): string {
  const py = (() => {
    try {
      return execFileSync(
        pythonBin(),
        [
          '-c',
          'import sys, zmq, msgpack; print(sys.version.split()[0], "pyzmq", zmq.__version__, "msgpack", ".".join(map(str, msgpack.version)))',
        ],
        { encoding: 'utf8' },
      ).trim();
    } catch {
      return 'unavailable';
    }
  })();
  const runtime = fromSource ? 'the bench under tsx' : 'the bench built, in plain node';
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version} (${runtime}); zeromq.js 6.8.0 (libzmq 4.3.5); msgpackr 2.1.3; Python ${py}`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  // `pnpm bench -- --rounds 5` passes the `--` through; it is not an option.
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const quick = args.includes('--quick');
  const rounds = Number(value('--rounds') ?? (quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds wants a whole number ≥ 1, got ${value('--rounds')}`);
  const targets = value('--targets')?.split(',') as TargetName[] | undefined;
  for (const t of targets ?? [])
    if (!TARGETS.includes(t) && !EXPERIMENTS.includes(t))
      throw new Error(`--targets: unknown target '${t}'; one of ${[...TARGETS, ...EXPERIMENTS].join(', ')}`);
  const write = args.includes('--write') || (!quick && !args.includes('--no-write'));
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const t0 = Date.now();
  const results = await runBenchmarks({ quick, rounds, targets });
  console.log(renderTable(results));
  if (write) {
    const file = path.join(here, '..', '..', '..', 'docs', 'benchmarks.md');
    const block = renderBlock(results, {
      machine: machine(),
      date: new Date().toISOString().slice(0, 10),
      rounds,
      seconds: Math.round((Date.now() - t0) / 1000),
      command: ['pnpm bench', ...(args.length ? ['--', ...args] : [])].join(' '),
      load,
    });
    writeFileSync(file, spliceBlock(readFileSync(file, 'utf8'), block));
    console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
  }
}
