/**
 * The private spawn channel with the project's Python module: a TypeScript parent spawns a `.py`
 * worker built on multifrost_worker with `channel: 'private'`; the worker connects to
 * MULTIFROST_ENDPOINT (an ipc:// socket in a 0700 folder), a uid 65534 stranger cannot connect to
 * it, and when the parent is SIGKILLed the worker removes the folder on its way out.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { cannotPlayStranger, startEnv, startStranger, STRANGER } from './helpers/stranger.js';
import { fixture, isAlive, quiet, tempHome, waitFor } from './helpers/workers.js';

const PYTHON = pythonBin();
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const skipStranger = cannotPlayStranger();
if (skipStranger) console.warn(`python-private-channel stranger test skipped: ${skipStranger}`);

interface PyMath {
  add(a: number, b: number): number;
  pid(): number;
}

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function spawnPrivate(): Promise<ParentWorker<PyMath>> {
  const { home, cleanup: rmHome } = tempHome();
  cleanup.push(rmHome);
  const worker = await ParentWorker.spawn<PyMath>(fixture('python-private-worker.py'), {
    ...quiet,
    executable: PYTHON,
    channel: 'private',
    env: { MULTIFROST_HOME: home },
  });
  cleanup.push(() => worker.close());
  return worker;
}

/** The private channel the worker was started with: its socket path and 0700 folder. */
function channelOf(pid: number): { env: Record<string, string>; socket: string; dir: string } {
  const env = startEnv(pid);
  expect(env.MULTIFROST_ENDPOINT).toMatch(/^ipc:\/\/.*\/multifrost-\w{6}\/w\.sock$/);
  expect(env.COMLINK_ZMQ_PORT).toBeUndefined();
  const socket = env.MULTIFROST_ENDPOINT!.slice('ipc://'.length);
  return { env, socket, dir: path.dirname(socket) };
}

describe("a Python worker on channel: 'private'", () => {
  it('connects over the ipc:// channel in a 0700 folder and answers; close() removes the folder', async () => {
    const worker = await spawnPrivate();
    const { socket, dir } = channelOf(worker.pid!);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(await worker.call.add(40, 2)).toBe(42);
    expect(await worker.call.pid()).toBe(worker.pid);
    await worker.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('removes the channel folder itself when its parent was SIGKILLed, and exits', async () => {
    const parent = spawn(process.execPath, ['--import', tsx, fixture('parent-of-python-private.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PYTHON_BIN: PYTHON },
    });
    cleanup.push(() => {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    });
    const started = await new Promise<{ worker: number; answer: number }>((resolve, reject) => {
      let buf = '';
      parent.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      parent.on('exit', (code) => reject(new Error(`parent exited early (${code})`)));
    });
    cleanup.push(() => {
      if (isAlive(started.worker)) process.kill(started.worker, 'SIGKILL');
    });
    expect(started.answer).toBe(5);
    const { socket, dir } = channelOf(started.worker);
    expect(existsSync(socket)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor(() => !isAlive(started.worker), 10_000, 'the Python worker to exit after its parent died');
    expect(existsSync(dir)).toBe(false);
  });
});

describe.skipIf(skipStranger !== undefined)('a Python worker on the private channel against uid 65534', () => {
  it('the stranger cannot connect to the ipc path, receives nothing, and every answer is the real one', async () => {
    const worker = await spawnPrivate();
    const { env, socket } = channelOf(worker.pid!);
    const probe = spawnSync(
      'setpriv',
      [
        ...STRANGER,
        process.execPath,
        '-e',
        `const s = require('net').connect({ path: ${JSON.stringify(socket)} });
s.on('connect', () => { console.log('CONNECTED'); s.destroy(); });
s.on('error', (e) => console.log(e.code));`,
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    expect(probe.stdout.trim()).toBe('EACCES');

    const stranger = startStranger(env.MULTIFROST_ENDPOINT!, cleanup);
    await waitFor(
      () => stranger.lines.some((l) => l.event === 'connect:retry' || l.event === 'connect'),
      20_000,
      "the stranger's first connect attempt",
    );
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => worker.call.add(i, 1)));
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(stranger.lines.find((l) => l.event === 'started')).toMatchObject({ uid: 65534 });
    expect(stranger.lines.some((l) => l.event === 'connect')).toBe(false);
    expect(stranger.lines.filter((l) => 'got' in l)).toEqual([]);
  });
});
