// Shared pieces of the Rust interop tests: the built peer, its parent driver, and how a
// Rust-side description of a msgpack value looks.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { buildRust } from './build-peers.js';

export interface RustDescribed {
  type: 'nil' | 'bool' | 'int' | 'uint' | 'f32' | 'f64' | 'str' | 'bin' | 'array' | 'map' | 'ext';
  repr?: string;
  hex?: string;
  value?: string;
  items?: RustDescribed[] | Record<string, RustDescribed>;
}

export interface RustPlan {
  spawn?: string[];
  connect?: string;
  app?: string;
  env?: Record<string, string>;
  calls?: [string, unknown[]][];
  concurrent?: [string, unknown[], number];
  start_timeout_ms?: number;
  call_timeout_ms?: number;
}

/** One line the Rust parent printed: a call's outcome, an output line, or a lifecycle note. */
export type RustLine =
  | { ok: true; result: RustDescribed }
  | { ok: false; name: string; message: string }
  | { stream: 'stdout' | 'stderr'; via: 'wire' | 'pipe'; output: string }
  | { spawned: number }
  | { ready: true }
  | { concurrent: number; ok: number; wrong: number; missing: number }
  | { done: true; exit?: string };

export const rustPeer = buildRust();

export function isOutcome(l: RustLine): l is Extract<RustLine, { ok: boolean; result?: unknown; name?: string }> {
  return 'ok' in l && !('concurrent' in l);
}

/** Runs the Rust parent with a plan to the end. */
export function rustParent(plan: RustPlan, env: NodeJS.ProcessEnv = process.env): RustLine[] {
  const run = spawnSync(rustPeer, ['parent', JSON.stringify(plan)], { encoding: 'utf8', env, timeout: 60_000 });
  if (run.status !== 0) throw new Error(`rust parent failed (${run.status} ${run.signal}): ${run.stderr}`);
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RustLine);
}

/** Starts the Rust parent and hands its lines over as they come, for tests that act mid-plan. */
export function rustParentLive(plan: RustPlan, env: NodeJS.ProcessEnv = process.env) {
  const proc = spawn(rustPeer, ['parent', JSON.stringify(plan)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: RustLine[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    if (!l.startsWith('{')) return;
    lines.push(JSON.parse(l) as RustLine);
    for (const w of waiters.splice(0)) w();
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  /** Resolves with the first line matching, waiting up to `ms`. */
  async function until(match: (l: RustLine) => boolean, ms = 20_000): Promise<RustLine> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = lines.find(match);
      if (hit) return hit;
      if (Date.now() > deadline || proc.exitCode !== null) {
        throw new Error(`no matching line; got ${JSON.stringify(lines)}; stderr: ${stderr}`);
      }
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  return { proc, lines, until, exited, stderr: () => stderr };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits up to `ms` for a process to be gone. */
export async function gone(pid: number, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}
