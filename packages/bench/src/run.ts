/**
 * The benchmark: every target measured in one run, interleaved (A B C … A B C …), each run in a
 * fresh parent process with fresh children, medians over the rounds, ratios to raw zeromq.js.
 *
 *   pnpm bench                 full run (3 rounds), writes docs/benchmarks.md
 *   pnpm bench -- --quick      tiny counts, 1 round, prints the table only
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderReport, renderTable } from './report.js';
import type { RunResult } from './run-one.js';
import { median } from './stats.js';
import { pythonBin, TARGETS, type TargetName } from './targets.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function runInFreshProcess(target: TargetName, quick: boolean): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, path.join(here, 'run-one.ts'), target, ...(quick ? ['--quick'] : [])],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as RunResult);
      else reject(new Error(`benchmark run of ${target} failed (exit ${code})`));
    });
  });
}

/** Medians over the rounds, and for each figure the median of its per-round ratio to raw. */
export type MergedResult = RunResult & { ratios: Partial<Record<keyof RunResult, number>> };

export async function runBenchmarks(options: {
  quick: boolean;
  rounds: number;
  targets?: TargetName[];
}): Promise<Record<TargetName, MergedResult>> {
  const targets = options.targets ?? TARGETS;
  const runs = new Map<TargetName, RunResult[]>(targets.map((t) => [t, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      process.stderr.write(`round ${round}/${options.rounds}: ${target}\n`);
      runs.get(target)!.push(await runInFreshProcess(target, options.quick));
    }
  }
  const raw = runs.get('raw-zmq');
  const out = {} as Record<TargetName, MergedResult>;
  for (const [target, results] of runs) {
    const merged = { target, ratios: {} } as unknown as MergedResult;
    for (const key of Object.keys(results[0]!) as (keyof RunResult)[]) {
      if (key === 'target') continue;
      (merged as unknown as Record<string, number>)[key] = median(results.map((r) => r[key] as number));
      // Each round runs raw next to the target, so a ratio within a round is immune to the machine
      // getting slower or faster between rounds (seen here: ±20% from one minute to the next).
      if (raw && target !== 'raw-zmq')
        merged.ratios[key] = median(results.map((r, i) => (r[key] as number) / (raw[i]![key] as number)));
    }
    out[target] = merged;
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
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; zeromq.js 6.8.0 (libzmq 4.3.5); msgpackr 2.1.3; Python ${py}`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const quick = process.argv.includes('--quick');
  const rounds = quick ? 1 : 3;
  const t0 = Date.now();
  const results = await runBenchmarks({ quick, rounds });
  const table = renderTable(results);
  console.log(table);
  if (!quick) {
    const file = path.join(here, '..', '..', '..', 'docs', 'benchmarks.md');
    writeFileSync(
      file,
      renderReport(results, {
        machine: machine(),
        date: new Date().toISOString().slice(0, 10),
        rounds,
        seconds: Math.round((Date.now() - t0) / 1000),
      }),
    );
    console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
  }
}
