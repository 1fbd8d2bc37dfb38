/**
 * Our child spawned by a public parent (issue 15, defects 2 and 3): no MULTIFROST_PARENT_PID, a
 * `/bin/sh -c` wrapper, unread pipes. Output must reach that parent over the wire, once per line,
 * in its own app id, and the child must not outlive the parent or its shell wrapper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { APP_V3, APP_V4 } from '@multifrost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, isAlive, tempHome, waitFor } from './helpers/workers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Seen {
  app?: string;
  type?: string;
  output?: string;
  result?: unknown;
  event?: string;
  shellPid?: number;
}

function kill(pid: number | undefined): void {
  if (pid === undefined || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}

/** Starts the emulated public parent; `seen` fills with every message it prints. */
async function publicParent(app: string) {
  const { home, cleanup: removeHome } = tempHome();
  const worker = `'${process.execPath}' --import '${tsx}' '${fixture('public-parent-worker.ts')}'`;
  const proc: ChildProcess = spawn(process.execPath, [fixture('public-parent.mjs'), app, worker], {
    env: { ...process.env, MULTIFROST_HOME: home, MULTIFROST_PARENT_PID: '' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const seen: Seen[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => seen.push(JSON.parse(line) as Seen));
  const state = { childPid: undefined as number | undefined, shellPid: undefined as number | undefined };
  cleanup.push(() => {
    kill(proc.pid);
    kill(state.childPid);
    kill(state.shellPid);
    removeHome();
  });
  const call = (fn: string, args: unknown[] = [], more: object = {}) =>
    proc.stdin!.write(`${JSON.stringify({ call: fn, args, ...more })}\n`);
  await waitFor(() => seen.some((m) => m.type === 'heartbeat'), 15_000, 'the heartbeat reply');
  state.shellPid = seen.find((m) => m.event === 'spawned')!.shellPid;
  call('pid');
  await waitFor(() => seen.some((m) => m.type === 'response'), 10_000, 'the pid reply');
  state.childPid = seen.find((m) => m.type === 'response')!.result as number;
  return { proc, seen, call, ...state };
}

const outputs = (seen: Seen[], type: string) => seen.filter((m) => m.type === type).map((m) => m.output);

describe('our child under a public parent in spawn mode', () => {
  for (const app of [APP_V4, APP_V3]) {
    it(`sends its output over the wire once per line, in the parent's app id (${app})`, async () => {
      const { seen, call, shellPid, childPid } = await publicParent(app);
      expect(childPid).not.toBe(shellPid);
      call('speak', ['hi', 3]);
      await waitFor(() => outputs(seen, 'stdout').includes('hi chunk b'), 10_000, 'the output');
      await waitFor(() => outputs(seen, 'stderr').includes('hi to stderr'), 10_000, 'the stderr line');
      expect(outputs(seen, 'stdout')).toEqual([
        'early line',
        'hi line 0',
        'hi line 1',
        'hi line 2',
        'hi chunk a',
        'hi chunk b',
      ]);
      expect(outputs(seen, 'stderr')).toEqual(['hi to stderr']);
      const forwarded = seen.filter((m) => m.type === 'stdout' || m.type === 'stderr');
      expect(new Set(forwarded.map((m) => m.app))).toEqual(new Set([app]));
    });
  }

  it('answers a call holding an unknown msgpack ext type with an error, instead of dropping it', async () => {
    const { seen, call } = await publicParent(APP_V4);
    call('add', [], { ext: true, id: 'ext-call' });
    await waitFor(() => seen.some((m) => (m as { id?: string }).id === 'ext-call'), 10_000, 'the error reply');
    const reply = seen.find((m) => (m as { id?: string }).id === 'ext-call') as Seen & { error?: string };
    expect(reply.type).toBe('error');
    expect(reply.app).toBe(APP_V4);
    expect(reply.error).toMatch(/ext type 5/);
  });

  it('does not block on the pipes the parent never reads', async () => {
    const { seen, call } = await publicParent(APP_V4);
    // 2,000 lines of 200 bytes: six times what a pipe holds.
    call('flood', [2000]);
    await waitFor(() => seen.some((m) => m.type === 'response' && m.result === 2000), 20_000, 'the flood reply');
    expect(outputs(seen, 'stdout').filter((o) => o?.endsWith('xxx')).length).toBe(2000);
  });

  it('exits when the parent is SIGKILLed, though the /bin/sh wrapper lives on', async () => {
    const { proc, childPid, shellPid } = await publicParent(APP_V4);
    expect(isAlive(shellPid!)).toBe(true);
    proc.kill('SIGKILL');
    // Well inside the 15 s link window: it is the process watch that ends the child.
    await waitFor(() => !isAlive(childPid!), 5000, 'the child to exit after its parent');
  });

  it('exits when its /bin/sh wrapper is SIGKILLed (what the JS v4 parent stop() does)', async () => {
    const { proc, childPid, shellPid } = await publicParent(APP_V4);
    process.kill(shellPid!, 'SIGKILL');
    await waitFor(() => !isAlive(childPid!), 5000, 'the child to exit after its shell');
    expect(proc.exitCode).toBe(null);
  });

  it('exits when the link to a parent that lives on stays gone past the window', async () => {
    const { proc, call, childPid } = await publicParent(APP_V4);
    call('', [], { close: true });
    // The 15 s window (PUBLIC_PARENT_LINK_WINDOW_MS), then the stop.
    await waitFor(() => !isAlive(childPid!), 30_000, 'the child to exit after its link is gone');
    expect(proc.exitCode).toBe(null);
  }, 40_000);
});
