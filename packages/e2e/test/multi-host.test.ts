// Connect mode across hosts, on real network namespaces joined by a bridge (helpers/netns.ts):
// Redis on host 1, a TS service on host 2 (bound to 0.0.0.0, advertising its bridge address), a
// Python service on host 3 (bound to its address), and TS and Python parents on host 4. The test
// process stays in the root namespace, which cannot reach the bridge: it drives a parent agent on
// host 4 (fixtures/multi-host-parent.ts) through its stdin and reads the registry through it.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeCurveCertificates } from '@multifrost/transport-zmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { Netns, netnsUnavailable } from './helpers/netns.js';
import { fixture } from './helpers/workers.js';

const PYTHON = pythonBin();
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CLI = path.resolve(
  path.dirname(createRequire(import.meta.url).resolve('multifrost/package.json')),
  'dist/cli.js',
);
const TTL_MS = 2_000;

const why = netnsUnavailable();
if (why && process.env.CI) throw new Error(`the multi-host tests must run under CI, but they cannot: ${why}`);
if (why) console.warn(`skipping the multi-host tests: ${why}`);

interface Reply {
  seq: number;
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

interface Started {
  proc: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  output: () => string;
}

describe.skipIf(why !== undefined)('connect mode across network namespaces', () => {
  let net: Netns;
  let dir: string;
  let redis: ChildProcess | undefined;
  let registryUrl: string;
  const keys = { service: '', app: '', outsider: '', allow: '', servicePublic: '' };
  const perTest: (() => void | Promise<void>)[] = [];

  beforeAll(async () => {
    net = Netns.create(4);
    dir = mkdtempSync(path.join(tmpdir(), 'mf-multi-host-'));
    const service = await writeCurveCertificates(path.join(dir, 'keys'), 'service');
    const app = await writeCurveCertificates(path.join(dir, 'clients'), 'app');
    const outsider = await writeCurveCertificates(path.join(dir, 'others'), 'outsider');
    Object.assign(keys, {
      service: service.secretFile,
      servicePublic: service.keys.publicKey,
      app: app.secretFile,
      outsider: outsider.secretFile,
      allow: path.join(dir, 'clients'),
    });
    registryUrl = `redis://${net.host(1).addr}:6379/0?ttlMs=${TTL_MS}`;
    await startRedis();
  });

  afterAll(async () => {
    await net?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (net) expect(Netns.leftovers(net.prefix)).toEqual([]);
  });

  afterEach(async () => {
    for (const fn of perTest.splice(0).reverse()) await fn();
  });

  async function startRedis(): Promise<void> {
    const proc = net.spawn(1, 'redis-server', [
      '--port',
      '6379',
      '--bind',
      net.host(1).addr,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
      '--dir',
      dir,
    ]);
    redis = proc;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${String(code)}: ${out}`)));
    });
  }

  async function stopRedis(): Promise<void> {
    const proc = redis;
    redis = undefined;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
  }

  function start(host: number, command: string, args: string[], env: Record<string, string>, stdin = false): Started {
    const home = mkdtempSync(path.join(dir, 'home-'));
    const proc = net.spawn(host, command, args, {
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, MULTIFROST_HOME: home, MULTIFROST_REGISTRY: registryUrl, COMLINK_ZMQ_PORT: '', ...env },
    });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const ready = new Promise<void>((resolve, reject) => {
      proc.stdout!.on('data', () => {
        if (out.includes('ready on')) resolve();
      });
      void exited.then((code) => reject(new Error(`exited with ${String(code)} before ready: ${out}`)));
    });
    ready.catch(() => {});
    perTest.push(async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    });
    return { proc, ready, exited, output: () => out };
  }

  /** A service on `host`: TS binds 0.0.0.0 and advertises its address, Python binds its address. */
  function service(host: number, lang: 'ts' | 'py', id: string, env: Record<string, string> = {}): Started {
    const addr = net.host(host).addr;
    const where: Record<string, string> =
      lang === 'ts' ? { MULTIFROST_HOST: '0.0.0.0', MULTIFROST_ADVERTISE: addr } : { MULTIFROST_HOST: addr };
    const curve = { MF_KEY: keys.service, MF_ALLOW: keys.allow };
    const full = { MF_SERVICE_ID: id, ...where, ...curve, ...env };
    return lang === 'ts'
      ? start(host, process.execPath, ['--import', tsx, fixture('multi-host-service.ts')], full)
      : start(host, PYTHON, [fixture('multi-host-service.py')], full);
  }

  /** The parent agent on host 4: send() writes one command and resolves with its reply. */
  async function agent(): Promise<(cmd: Record<string, unknown>) => Promise<Reply>> {
    const s = start(4, process.execPath, ['--import', tsx, fixture('multi-host-parent.ts')], {}, true);
    const waiting = new Map<number, (r: Reply) => void>();
    let buffered = '';
    let ready: () => void = () => {};
    const up = new Promise<void>((r) => (ready = r));
    s.proc.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const reply = JSON.parse(buffered.slice(0, nl)) as Reply;
        buffered = buffered.slice(nl + 1);
        if (reply.seq === 0) ready();
        waiting.get(reply.seq)?.(reply);
        waiting.delete(reply.seq);
        nl = buffered.indexOf('\n');
      }
    });
    s.proc.stdin!.on('error', () => {});
    await Promise.race([up, s.exited.then(() => Promise.reject(new Error(`agent exited: ${s.output()}`)))]);
    let seq = 0;
    return (cmd) =>
      new Promise<Reply>((resolve) => {
        seq += 1;
        waiting.set(seq, resolve);
        s.proc.stdin!.write(`${JSON.stringify({ seq, ...cmd })}\n`);
      });
  }

  async function listed(send: Awaited<ReturnType<typeof agent>>, prefix: string): Promise<string[]> {
    const r = await send({ op: 'list', prefix });
    if (!r.ok) throw new Error(`list failed: ${r.code} ${r.message}`);
    return (r.value as { id: string }[]).map((e) => e.id);
  }

  /** Polls `check` every 100 ms until it holds, failing with `what` after `ms`. */
  async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  function pythonParent(id: string, env: Record<string, string>): Promise<Record<string, unknown>> {
    const s = start(4, PYTHON, [fixture('multi-host-parent.py'), id], env);
    return s.exited.then(() => {
      const line = s.output().trim().split('\n').pop() ?? '';
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`the Python parent printed no JSON: ${s.output()}`);
      }
    });
  }

  it('finds and calls a TS and a Python service on other hosts, with CURVE, from TS and Python parents', async () => {
    const ts = service(2, 'ts', 'mh-ts');
    const py = service(3, 'py', 'mh-py');
    await Promise.all([ts.ready, py.ready]);
    const send = await agent();
    const entries = (await send({ op: 'list', prefix: 'mh-' })).value as {
      id: string;
      endpoint: string;
      key: string;
    }[];
    expect(entries.map((e) => [e.id, e.endpoint.replace(/:\d+$/, ''), e.key])).toEqual([
      ['mh-py', `tcp://${net.host(3).addr}`, keys.servicePublic],
      ['mh-ts', `tcp://${net.host(2).addr}`, keys.servicePublic],
    ]);
    for (const id of ['mh-ts', 'mh-py']) {
      expect(await send({ op: 'connect', name: id, id, key: keys.app, serverKey: keys.servicePublic })).toMatchObject({
        ok: true,
      });
      expect((await send({ op: 'call', name: id, fn: 'add', args: [40, 2] })).value).toBe(42);
    }
    expect((await send({ op: 'call', name: 'mh-py', fn: 'whoami' })).value).toMatchObject({
      lang: 'py',
      pid: py.proc.pid,
    });
    for (const [id, lang] of [
      ['mh-ts', 'ts'],
      ['mh-py', 'py'],
    ] as const) {
      expect(await pythonParent(id, { MF_KEY: keys.app })).toMatchObject({ ok: true, sum: 42, who: { lang } });
    }
    // The CURVE service's bind did not draw the transport's "not authenticated" warning.
    expect(ts.output()).not.toMatch(/not authenticated|WITHOUT CURVE/);
  });

  it('refuses a wrong or missing key (AUTH_FAILED), and plain services off loopback unless insecure', async () => {
    const ts = service(2, 'ts', 'mh-auth');
    await ts.ready;
    const send = await agent();
    const wrong = await send({ op: 'connect', name: 'w', id: 'mh-auth', key: keys.outsider });
    expect(wrong).toMatchObject({
      ok: false,
      code: 'AUTH_FAILED',
      message: expect.stringMatching(/refused our CURVE key/),
    });
    const missing = await send({ op: 'connect', name: 'm', id: 'mh-auth' });
    expect(missing).toMatchObject({
      ok: false,
      code: 'AUTH_FAILED',
      message: expect.stringMatching(/serves CURVE only/),
    });
    expect(await pythonParent('mh-auth', { MF_KEY: keys.outsider })).toMatchObject({ ok: false, type: 'AuthFailed' });

    // Off loopback without CURVE: a service refuses to start, unless insecure, and then warns.
    for (const lang of ['ts', 'py'] as const) {
      const plain = service(lang === 'ts' ? 2 : 3, lang, `mh-plain-${lang}`, { MF_KEY: '' });
      expect(await plain.exited).not.toBe(0);
      expect(plain.output()).toMatch(/CURVE is on by default/);
    }
    const open = service(3, 'py', 'mh-open', { MF_KEY: '', MULTIFROST_INSECURE: '1' });
    await open.ready;
    expect(open.output()).toContain(`WARNING: service 'mh-open' serves WITHOUT CURVE on tcp://${net.host(3).addr}:`);
    // ...and a parent will not talk to it in the clear unless told to, nor will the Python one.
    expect(await send({ op: 'connect', name: 'o', id: 'mh-open' })).toMatchObject({
      ok: false,
      code: 'AUTH_FAILED',
      message: expect.stringMatching(/off loopback and does not use CURVE/),
    });
    expect(await pythonParent('mh-open', {})).toMatchObject({ ok: false, type: 'AuthFailed' });
    expect(await send({ op: 'connect', name: 'o', id: 'mh-open', insecure: true })).toMatchObject({ ok: true });
    expect((await send({ op: 'call', name: 'o', fn: 'add', args: [1, 2] })).value).toBe(3);
    expect(await pythonParent('mh-open', { MULTIFROST_INSECURE: '1' })).toMatchObject({ ok: true, sum: 42 });
  });

  it('a SIGKILLed instance leaves the registry within its TTL, and a pool fails over to the other one', async () => {
    const a = service(2, 'ts', 'mh-pool-a');
    const b = service(3, 'py', 'mh-pool-b');
    await Promise.all([a.ready, b.ready]);
    const send = await agent();
    expect(await send({ op: 'pool', name: 'p', prefix: 'mh-pool-', key: keys.app })).toMatchObject({ ok: true });
    const langs = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await send({ op: 'call', name: 'p', fn: 'whoami' });
      langs.add((r.value as { lang: string }).lang);
    }
    expect([...langs].sort()).toEqual(['py', 'ts']);
    a.proc.kill('SIGKILL');
    await a.exited;
    const killedAt = Date.now();
    // Every call still succeeds: the pool sends it to the instance left (retrying one that was on the dead link).
    for (let i = 0; i < 6; i++) {
      const r = await send({ op: 'call', name: 'p', fn: 'whoami' });
      expect(r, JSON.stringify(r)).toMatchObject({ ok: true, value: { lang: 'py' } });
    }
    await until('the killed instance leaves the registry', TTL_MS + 1_500, async () => {
      return !(await listed(send, 'mh-pool-')).includes('mh-pool-a');
    });
    expect(Date.now() - killedAt).toBeLessThan(TTL_MS + 1_500);
    expect(await listed(send, 'mh-pool-')).toEqual(['mh-pool-b']);
  });

  it('a cut link: the entry expires and calls fail clearly; once restored, the service re-registers and the parent recovers', async () => {
    const s = service(2, 'ts', 'mh-cut');
    await s.ready;
    const send = await agent();
    expect(await send({ op: 'connect', name: 'c', id: 'mh-cut', key: keys.app })).toMatchObject({ ok: true });
    expect((await send({ op: 'call', name: 'c', fn: 'add', args: [1, 1] })).value).toBe(2);
    net.setLink(2, false);
    perTest.push(() => net.setLink(2, true));
    const during = await send({ op: 'call', name: 'c', fn: 'add', args: [2, 2], timeoutMs: 1_500 });
    expect(during.ok).toBe(false);
    // Either the call's own deadline, or the heartbeats (300 ms x 3) declaring the service unreachable first.
    expect(['TIMEOUT', 'WORKER_UNREACHABLE']).toContain(during.code);
    expect(during.message).toContain('add');
    await until('the cut-off service expires from the registry', TTL_MS + 2_000, async () => {
      return !(await listed(send, 'mh-cut')).includes('mh-cut');
    });
    net.setLink(2, true);
    await until('the service registers again', 5_000, async () => (await listed(send, 'mh-cut')).includes('mh-cut'));
    await until('the parent calls it again by itself', 8_000, async () => {
      return (await send({ op: 'call', name: 'c', fn: 'add', args: [3, 3], timeoutMs: 500 })).value === 6;
    });
    expect(s.proc.exitCode).toBeNull();
  });

  it('Redis stopped and restarted: no crash, REGISTRY_UNAVAILABLE meanwhile, connected calls go on, recovery after', async () => {
    const ts = service(2, 'ts', 'mh-outage-ts');
    const py = service(3, 'py', 'mh-outage-py');
    await Promise.all([ts.ready, py.ready]);
    const send = await agent();
    expect(await send({ op: 'connect', name: 't', id: 'mh-outage-ts', key: keys.app })).toMatchObject({ ok: true });
    await stopRedis();
    try {
      expect(await send({ op: 'list', prefix: 'mh-' })).toMatchObject({ ok: false, code: 'REGISTRY_UNAVAILABLE' });
      expect(
        await send({ op: 'connect', name: 'p', id: 'mh-outage-py', key: keys.app, timeoutMs: 1_500 }),
      ).toMatchObject({
        ok: false,
        code: 'REGISTRY_UNAVAILABLE',
      });
      expect((await send({ op: 'call', name: 't', fn: 'add', args: [5, 5] })).value).toBe(10);
      // Outlive a renewal or two: neither service may die of it.
      await new Promise((r) => setTimeout(r, TTL_MS / 2));
      expect([ts.proc.exitCode, py.proc.exitCode]).toEqual([null, null]);
    } finally {
      await startRedis();
    }
    await until('both services register again in the empty Redis', 6_000, async () => {
      const r = await send({ op: 'list', prefix: 'mh-outage-' });
      return r.ok && (r.value as unknown[]).length === 2;
    });
    expect(await send({ op: 'connect', name: 'p', id: 'mh-outage-py', key: keys.app })).toMatchObject({ ok: true });
    expect((await send({ op: 'call', name: 'p', fn: 'add', args: [6, 6] })).value).toBe(12);
  });

  it('two services racing for one id from two hosts: exactly one wins', async () => {
    const ts = service(2, 'ts', 'mh-race');
    const py = service(3, 'py', 'mh-race');
    const outcome = await Promise.all(
      [ts, py].map((s) => Promise.race([s.ready.then(() => 'ready' as const), s.exited.then(() => 'exited' as const)])),
    );
    expect(outcome.sort()).toEqual(['exited', 'ready']);
    const loser = outcome[0] === 'exited' ? ts : py;
    await loser.exited;
    expect(loser.output()).toMatch(/already running|ALREADY_REGISTERED|already registered/i);
    const send = await agent();
    expect(await listed(send, 'mh-race')).toEqual(['mh-race']);
  });

  it('the CLI lists, shows functions and calls a CURVE service on another host with --key', async () => {
    const s = service(2, 'ts', 'mh-cli');
    await s.ready;
    const cli = (args: string[]) => {
      const c = start(4, process.execPath, [CLI, ...args, '--registry', registryUrl], {});
      return c.exited.then((code) => ({ code, out: c.output() }));
    };
    expect(await cli(['list'])).toMatchObject({ code: 0, out: expect.stringContaining(`tcp://${net.host(2).addr}:`) });
    const fns = await cli(['functions', 'mh-cli', '--key', keys.app, '--server-key', keys.servicePublic, '--json']);
    expect(fns.code).toBe(0);
    expect(JSON.parse(fns.out)).toEqual(expect.arrayContaining(['add', 'whoami']));
    expect(await cli(['call', 'mh-cli', 'add', '2', '3', '--key', keys.app])).toMatchObject({ code: 0, out: '5\n' });
    const refused = await cli(['call', 'mh-cli', 'add', '2', '3', '--key', keys.outsider, '--timeout', '3000']);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/AUTH_FAILED|refused our CURVE key/);
  });
});
