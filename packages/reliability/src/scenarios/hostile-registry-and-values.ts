/**
 * Scenario 16: a registry file that is not one, and values that try to confuse the codec or the
 * parent. Every operation ends with a clear error or the right value; nothing hangs or is renamed.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isMultifrostError } from '@multifrost/protocol';
import { FileServiceRegistry, ParentWorker } from 'multifrost';
import { check, fixture, startService, type Scenario } from '../support.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isMultifrostError(err) ? `${err.code}: ${err.message}` : `not a MultifrostError: ${String(err)}`;
}

export const hostileRegistryAndValues: Scenario = {
  id: 16,
  name: 'A hostile registry file, a __proto__ key, a lying peer',
  proves:
    'a FIFO services.json makes connect() fail with REGISTRY_CORRUPT within its timeout, a dangling symlink lock does not block a service from registering, a __proto__ key crosses a real worker both ways as itself, and a peer that answers listFunctions() with a map gets a PROTOCOL error',
  async run() {
    const home = mkdtempSync(path.join(tmpdir(), 'mf-hostile-'));
    const registry = new FileServiceRegistry({ home });
    let service: ChildProcess | undefined;
    const closing: ParentWorker[] = [];
    const figures: Record<string, string> = {};
    try {
      execFileSync('mkfifo', [registry.file]);
      const fifo = await codeOf(ParentWorker.connect('svc', { registry, startTimeoutMs: 1_500, output: 'ignore' }));
      check(fifo.startsWith('REGISTRY_CORRUPT') && fifo.includes('FIFO'), `connect() on a FIFO registry: ${fifo}`);
      figures['connect() with services.json a FIFO'] = fifo.slice(0, 120);
      unlinkSync(registry.file);

      symlinkSync(path.join(home, 'nowhere'), registry.lockFile);
      const started = startService('worker.mjs', home, 'svc');
      service = started.proc;
      await started.ready;
      figures['register() with a dangling symlink at services.lock'] = 'registered';

      const w = await ParentWorker.connect('svc', { registry, output: 'ignore' });
      closing.push(w);
      const arg = JSON.parse('{"__proto__": 1, "plain": "x"}') as Record<string, unknown>;
      const seen = (await w.call.arrivedAs!(arg)) as Record<string, unknown>;
      check(
        Object.keys(seen).join(',') === '__proto__,plain' &&
          Object.getOwnPropertyDescriptor(seen, '__proto__')?.value === 'number',
        `the worker saw ${JSON.stringify(Object.entries(seen))}`,
      );
      check(Object.getPrototypeOf(seen) === Object.prototype, 'the reply object got a new prototype');
      figures['__proto__ key, both ways'] = 'arrived as itself, as an own property';

      const liar = await ParentWorker.spawn(fixture('raw-peer.mjs'), { channel: 'tcp', output: 'ignore' });
      closing.push(liar);
      const lie = await codeOf(liar.listFunctions());
      check(
        lie.startsWith('PROTOCOL') && lie.includes('not an array of function names'),
        `listFunctions() of a liar: ${lie}`,
      );
      figures['listFunctions() answered with a map'] = lie.slice(0, 120);
      return { figures };
    } finally {
      for (const w of closing) await w.close().catch(() => undefined);
      service?.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  },
};
