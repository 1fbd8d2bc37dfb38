/**
 * CURVE across languages on the pip-installed Python module: a Python (pyzmq) parent calls a
 * TypeScript CURVE service and is refused with AuthFailed when its key is not allowed; a TypeScript
 * parent calls a Python CURVE service and gets AUTH_FAILED when its key is not allowed; each side's
 * registry reads the other's `curve_public_key`. Keys are zmq.auth certificate files made by the
 * Python module, which the TypeScript side loads as they are.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileServiceRegistry, isMultifrostError, ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import { startService, tempHome, tsxLoader } from './helpers.js';
import { keygen, publicKeyOf, pyCurveParent, pyCurveService } from './python-curve-helpers.js';

const tsService = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'python-curve-ts-service.ts');
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function setup() {
  const { home, cleanup: rm } = tempHome();
  cleanup.push(rm);
  const keys = path.join(home, 'keys');
  mkdirSync(keys);
  keygen(keys, 'service', 'alice', 'mallory');
  const key = (name: string, secret = true) => path.join(keys, `${name}.${secret ? 'key_secret' : 'key'}`);
  return { home, key };
}

async function startTsService(home: string, options: { id: string; key: string; allow: string[] }) {
  const proc = await startService([process.execPath, '--import', tsxLoader, tsService, JSON.stringify(options)], {
    ...process.env,
    MULTIFROST_HOME: home,
  });
  cleanup.push(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
  });
  return proc;
}

interface CurveMath {
  add(a: number, b: number): number;
  whoami(): number;
}

describe('CURVE between Python and TypeScript', () => {
  it('a Python (pyzmq) parent with an allowed key calls a TypeScript CURVE service; a wrong key gets AuthFailed', async () => {
    const { home, key } = setup();
    const service = await startTsService(home, { id: 'ts-curve', key: key('service'), allow: [key('alice', false)] });
    const entry = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8'))['ts-curve'];
    expect(entry.curve_public_key).toBe(publicKeyOf(key('service', false)));

    const allowed = pyCurveParent({
      id: 'ts-curve',
      home,
      key: key('alice'),
      calls: [
        ['add', [40, 2]],
        ['whoami', []],
      ],
    });
    expect(allowed).toMatchObject({ ok: true, results: [42, service.pid] });

    const refused = pyCurveParent({ id: 'ts-curve', home, key: key('mallory'), calls: [['add', [1, 1]]] });
    console.log(
      `python-curve-cross: a pyzmq parent with a key the TypeScript service does not allow was refused after ${refused.seconds.toFixed(3)} s`,
    );
    expect(refused).toMatchObject({ ok: false, type: 'AuthFailed' });
    expect(refused.bases).toContain('ConnectionError');
    expect(refused.message).toMatch(/^service 'ts-curve' at tcp:\/\/127\.0\.0\.1:\d+ refused our CURVE key/);
    expect(refused.message).toContain('not in its allow-list');
    // The refused parent never reached the service: the allowed one still gets answers.
    expect(pyCurveParent({ id: 'ts-curve', home, key: key('alice'), calls: [['add', [1, 2]]] })).toMatchObject({
      ok: true,
      results: [3],
    });
  });

  it('a TypeScript parent with CURVE calls a Python CURVE service; a key not allowed gets AUTH_FAILED', async () => {
    const { home, key } = setup();
    const service = await pyCurveService(
      home,
      { id: 'py-curve', key: key('service'), allow: [key('alice', false)] },
      cleanup,
    );
    const registry = new FileServiceRegistry({ home });
    const worker = await ParentWorker.connect<CurveMath>('py-curve', {
      registry,
      output: 'ignore',
      security: { curve: { key: key('alice'), serverKey: key('service', false) } },
    });
    cleanup.push(() => worker.close());
    expect(await worker.call.add(20, 22)).toBe(42);
    expect(await worker.call.whoami()).toBe(service.pid);

    const started = Date.now();
    const error = await ParentWorker.connect<CurveMath>('py-curve', {
      registry,
      output: 'ignore',
      security: { curve: { key: key('mallory') } },
    }).then(
      (w) => w.close().then(() => undefined),
      (err: unknown) => err,
    );
    console.log(
      `python-curve-cross: a TypeScript parent refused by the Python service after ${Date.now() - started} ms`,
    );
    expect(isMultifrostError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'AUTH_FAILED' });
    expect((error as Error).message).toMatch(/refused our CURVE key/);
  });

  it("each side's registry reads the other's curve_public_key", async () => {
    const { home, key } = setup();
    await pyCurveService(home, { id: 'py-keyed', key: key('service'), allow: [key('alice', false)] }, cleanup);
    const entry = await new FileServiceRegistry({ home }).lookup('py-keyed');
    expect(entry).toMatchObject({
      curvePublicKey: publicKeyOf(key('service', false)),
    });
    await startTsService(home, { id: 'ts-keyed', key: key('alice'), allow: [key('service', false)] });
    const fromPython = pyCurveParent({ id: 'ts-keyed', home, key: key('service'), server_key: key('alice', false) });
    expect(fromPython).toMatchObject({ ok: true });
  });
});
