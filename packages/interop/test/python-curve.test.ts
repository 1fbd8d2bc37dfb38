/**
 * CURVE in connect mode on the pip-installed Python module, Python to Python: a service with an
 * allow-list serves allowed parents and refuses others with AuthFailed; a parent refuses a service
 * whose registry key differs from what it expects, or whose process lacks the registered key; the
 * registry keeps `curve_public_key` and every field it does not know.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PYTHON, tempHome } from './helpers.js';
import { keygen, publicKeyOf, pyCurveParent, pyCurveService } from './python-curve-helpers.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function setup() {
  const { home, cleanup: rm } = tempHome();
  cleanup.push(rm);
  const keys = path.join(home, 'keys');
  mkdirSync(keys);
  keygen(keys, 'service', 'alice', 'bob', 'mallory');
  const key = (name: string, secret = true) => path.join(keys, `${name}.${secret ? 'key_secret' : 'key'}`);
  return { home, keys, key };
}

/** Runs Python code against the installed module; its stdout's last line, parsed. */
function python(code: string, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const run = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', env, timeout: 30_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('CURVE between a Python parent and a Python service', () => {
  it('an allowed key calls the service; a key not on the allow-list is refused with AuthFailed', async () => {
    const { home, key } = setup();
    const service = await pyCurveService(
      home,
      { id: 'py-curve', key: key('service'), allow: [key('alice', false)] },
      cleanup,
    );
    const entry = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8'))['py-curve'];
    expect(entry).toMatchObject({ pid: service.pid, curve_public_key: publicKeyOf(key('service', false)) });

    const allowed = pyCurveParent({
      id: 'py-curve',
      home,
      key: key('alice'),
      calls: [
        ['add', [40, 2]],
        ['whoami', []],
      ],
    });
    expect(allowed).toMatchObject({ ok: true, results: [42, service.pid] });

    const refused = pyCurveParent({ id: 'py-curve', home, key: key('mallory') });
    console.log(
      `python-curve: a Python parent with a key not allowed was refused after ${Number(refused.seconds).toFixed(3)} s`,
    );
    expect(refused).toMatchObject({ ok: false, type: 'AuthFailed' });
    expect(refused.bases).toContain('ConnectionError');
    expect(refused.message).toMatch(/^service 'py-curve' at tcp:\/\/127\.0\.0\.1:\d+ refused our CURVE key/);
    expect(refused.message).toContain(publicKeyOf(key('mallory', false)));
    expect(refused.message).toContain('not in its allow-list');

    // A parent without CURVE is dropped at the handshake; it times out, told why, instead of hanging.
    const plain = pyCurveParent({ id: 'py-curve', home, timeout: 1.5 });
    expect(plain).toMatchObject({ ok: false, type: 'TimeoutError' });
    expect(plain.message).toContain("service 'py-curve' uses CURVE");
  });

  it('the allow-list takes a directory of *.key files and bare Z85 keys', async () => {
    const { home, keys, key } = setup();
    const allowDir = path.join(keys, 'allowed');
    mkdirSync(allowDir);
    writeFileSync(path.join(allowDir, 'alice.key'), readFileSync(key('alice', false)));
    await pyCurveService(
      home,
      { id: 'py-dir', key: key('service'), allow: [allowDir, publicKeyOf(key('bob', false))] },
      cleanup,
    );
    expect(pyCurveParent({ id: 'py-dir', home, key: key('alice'), calls: [['add', [1, 2]]] })).toMatchObject({
      ok: true,
      results: [3],
    });
    expect(pyCurveParent({ id: 'py-dir', home, key: key('bob'), calls: [['add', [3, 4]]] })).toMatchObject({
      ok: true,
      results: [7],
    });
    expect(pyCurveParent({ id: 'py-dir', home, key: key('mallory') })).toMatchObject({ ok: false, type: 'AuthFailed' });
  });

  it('a parent refuses a service registered with another key than server_key, or with none', async () => {
    const { home, key } = setup();
    await pyCurveService(home, { id: 'py-keyed', key: key('service'), allow: [key('alice', false)] }, cleanup);
    const wrong = pyCurveParent({ id: 'py-keyed', home, key: key('alice'), server_key: key('bob', false) });
    expect(wrong).toMatchObject({ ok: false, type: 'AuthFailed' });
    expect(wrong.message).toBe(
      `service 'py-keyed' is registered with CURVE key ${publicKeyOf(key('service', false))}, expected ${publicKeyOf(key('bob', false))}`,
    );
    const right = pyCurveParent({
      id: 'py-keyed',
      home,
      key: key('alice'),
      server_key: key('service', false),
      calls: [['add', [2, 2]]],
    });
    expect(right).toMatchObject({ ok: true, results: [4] });

    await pyCurveService(home, { id: 'py-plain' }, cleanup);
    const plain = pyCurveParent({ id: 'py-plain', home, key: key('alice') });
    expect(plain).toMatchObject({
      ok: false,
      type: 'AuthFailed',
      message: "service 'py-plain' does not use CURVE (its registry entry has no curve_public_key)",
    });
  });

  it('an impostor at the registered port without the registered secret key is never talked to', async () => {
    const { home, key } = setup();
    // A service that holds mallory's key pair, while the registry says the service key is 'service'.
    await pyCurveService(home, { id: 'py-impostor', key: key('mallory'), allow: [key('alice', false)] }, cleanup);
    const file = path.join(home, 'services.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data['py-impostor'].curve_public_key = publicKeyOf(key('service', false));
    writeFileSync(file, JSON.stringify(data));
    const result = pyCurveParent({ id: 'py-impostor', home, key: key('alice'), calls: [['add', [1, 1]]] });
    console.log(`python-curve: the impostor was detected after ${Number(result.seconds).toFixed(3)} s`);
    expect(result).toMatchObject({ ok: false, type: 'AuthFailed' });
    expect(result.message).toContain(`does not hold the secret key of ${publicKeyOf(key('service', false))}`);
  });

  it('refuses a secret certificate others can read, security in spawn mode, and a libzmq without CURVE', async () => {
    const { key } = setup();
    chmodSync(key('bob'), 0o644);
    const out = python(`
import json, os, sys
import zmq
from multifrost_worker import ChildWorker, ParentWorker, CurveUnavailable
res = {}
def attempt(name, fn):
    try:
        fn(); res[name] = "no error"
    except BaseException as e:
        res[name] = [type(e).__name__, str(e)]
attempt("readable", lambda: ChildWorker(service_id="x", security={"curve": {"key": ${JSON.stringify(key('bob'))}, "allow": [${JSON.stringify(key('alice', false))}]}}))
attempt("empty_allow", lambda: ChildWorker(service_id="x", security={"curve": {"key": ${JSON.stringify(key('alice'))}, "allow": []}}))
attempt("parent_spawn", lambda: ParentWorker.spawn([sys.executable, "-c", "pass"], security={"curve": {"key": ${JSON.stringify(key('alice'))}}}))
os.environ["COMLINK_ZMQ_PORT"] = "45678"
attempt("child_spawn", lambda: ChildWorker(security={"curve": {"key": ${JSON.stringify(key('alice'))}, "allow": [${JSON.stringify(key('bob', false))}]}}).run())
zmq.has = lambda capability: False  # stands in for a libzmq built without libsodium
attempt("no_curve", lambda: ChildWorker(service_id="x", security={"curve": {"key": ${JSON.stringify(key('alice'))}, "allow": [${JSON.stringify(key('bob', false))}]}}))
print(json.dumps(res))
`);
    expect(out.readable).toEqual(['ValueError', expect.stringContaining(`${key('bob')} has mode 0644`)]);
    expect(out.empty_allow).toEqual(['ValueError', expect.stringContaining('allow-list is empty')]);
    expect(out.parent_spawn).toEqual([
      'ValueError',
      expect.stringContaining('security (CURVE) is for ParentWorker.connect'),
    ]);
    expect(out.child_spawn).toEqual(['ValueError', expect.stringContaining('security (CURVE) is for connect mode')]);
    expect(out.no_curve).toEqual(['CurveUnavailable', expect.stringContaining('without libsodium/CURVE')]);
  });
});

describe('the Python registry and curve_public_key', () => {
  it('writes and reads the key, returns the whole entry, and keeps fields and entries it does not know', () => {
    const { home } = setup();
    const foreign = {
      port: 50123,
      pid: process.pid,
      started: '2026-01-01T00:00:00',
      curve_public_key: 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7',
      future_field: { nested: [1, 2, 3] },
    };
    writeFileSync(path.join(home, 'services.json'), JSON.stringify({ foreign }));
    const out = python(`
import json, sys
from multifrost_worker import ServiceRegistry
r = ServiceRegistry(${JSON.stringify(home)})
r.register("mine", 40001, curve_public_key="Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID")
mine = r.lookup("mine", 1)
foreign = r.lookup("foreign", 1)
with open(r.file) as f: on_disk = json.load(f)
r.unregister("mine")
with open(r.file) as f: after = json.load(f)
print(json.dumps({"mine": mine, "foreign": foreign, "on_disk": on_disk, "after": after}))
`);
    expect(out.mine).toMatchObject({ port: 40001, curve_public_key: 'Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID' });
    expect(out.foreign).toEqual(foreign);
    expect((out.on_disk as Record<string, unknown>).foreign).toEqual(foreign);
    expect(out.after).toEqual({ foreign });
    // A plain entry, as before CURVE, has no curve_public_key field at all.
    const plain = python(`
import json
from multifrost_worker import ServiceRegistry
r = ServiceRegistry(${JSON.stringify(home)})
r.register("plain", 40002)
print(json.dumps(r.lookup("plain", 1)))
r.unregister("plain")
`);
    expect(plain).not.toHaveProperty('curve_public_key');
  });
});
