/**
 * Spawn mode against another local account: a stranger (uid 65534, via setpriv) tries to reach a
 * spawned Node worker's endpoint. Over the private channel it cannot connect (the socket lives in
 * a 0700 directory), receives no call, and every answer is the real worker's. A TCP-channel worker
 * in the same test shows the stranger's probe does reach what it can reach, so the check can fail.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import type { MathWorker } from './fixtures/math-worker.js';
import { STRANGER, cannotPlayStranger, startEnv, startStranger } from './helpers/stranger.js';
import { fixture, quiet, tempHome, waitFor } from './helpers/workers.js';

const skipReason = cannotPlayStranger();
if (skipReason) console.warn(`stranger-spawn tests skipped: ${skipReason}`);

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Inodes of the TCP sockets this process has listening, from /proc (what any account can list). */
function ownTcpListeners(): Set<string> {
  const mine = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) mine.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const listening = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[9] !== undefined && mine.has(f[9])) listening.add(f[9]);
    }
  }
  return listening;
}

const added = (before: Set<string>, after: Set<string>): string[] => [...after].filter((i) => !before.has(i));

/** What a plain Unix-socket or TCP connect says when the stranger makes it. */
function strangerConnect(target: { path: string } | { port: number }): string {
  const code = `const s = require('net').connect(${JSON.stringify(target)});
s.on('connect', () => { console.log('CONNECTED'); s.destroy(); });
s.on('error', (e) => console.log(e.code));`;
  const r = spawnSync('setpriv', [...STRANGER, process.execPath, '-e', code], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout.trim();
}

describe.skipIf(skipReason !== undefined)('spawn mode against another local account (uid 65534)', () => {
  it('a Node worker gets a private ipc:// channel the stranger cannot connect to; 100 calls all get the real answers', async () => {
    const { home, cleanup: rmHome } = tempHome();
    cleanup.push(rmHome);
    const listenersBefore = ownTcpListeners();
    const worker = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      ...quiet,
      env: { MULTIFROST_HOME: home },
    });
    cleanup.push(() => worker.close());
    expect(added(listenersBefore, ownTcpListeners())).toEqual([]);

    const env = startEnv(worker.pid!);
    expect(env.COMLINK_ZMQ_PORT).toBeUndefined();
    expect(env.MULTIFROST_ENDPOINT).toMatch(/^ipc:\/\//);
    const socketPath = env.MULTIFROST_ENDPOINT!.slice('ipc://'.length);
    const dir = path.dirname(socketPath);
    const st = statSync(dir);
    expect(st.mode & 0o777).toBe(0o700);
    expect(st.uid).toBe(process.getuid!());
    expect(statSync(socketPath).isSocket()).toBe(true);

    // The socket file itself is there, yet the kernel refuses the stranger at the directory.
    expect(strangerConnect({ path: socketPath })).toBe('EACCES');

    const stranger = startStranger(env.MULTIFROST_ENDPOINT!, cleanup);
    await waitFor(
      () => stranger.lines.some((l) => l.event === 'connect:retry' || l.event === 'connect'),
      20_000,
      "the stranger's first connect attempt",
    );
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => worker.call.add(i, 1)));
    expect(answers).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(stranger.lines.find((l) => l.event === 'started')).toMatchObject({ uid: 65534 });
    expect(stranger.lines.some((l) => l.event === 'connect')).toBe(false);
    expect(stranger.lines.filter((l) => 'got' in l)).toEqual([]);

    await worker.close();
    expect(existsSync(dir)).toBe(false);
  });

  it("control: a worker on channel 'tcp' hands out a port the same stranger probe does reach", async () => {
    const { home, cleanup: rmHome } = tempHome();
    cleanup.push(rmHome);
    const listenersBefore = ownTcpListeners();
    const worker = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      ...quiet,
      channel: 'tcp',
      env: { MULTIFROST_HOME: home },
    });
    cleanup.push(() => worker.close());
    // The same /proc check does see the TCP listener here.
    expect(added(listenersBefore, ownTcpListeners())).toHaveLength(1);
    const env = startEnv(worker.pid!);
    expect(env.MULTIFROST_ENDPOINT).toMatch(/^tcp:\/\/127\.0\.0\.1:/);
    const port = Number(env.COMLINK_ZMQ_PORT);
    expect(port).toBeGreaterThan(0);
    // What the private channel prevents: any local account can open this port (docs/security.md).
    expect(strangerConnect({ port })).toBe('CONNECTED');
    expect(await worker.call.add(2, 3)).toBe(5);
  });
});
