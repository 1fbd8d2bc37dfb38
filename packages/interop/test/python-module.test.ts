// The multifrost-worker Python module as a user gets it: the copy pip installed (not the source
// folder), a worker written in a folder of its own, plain and `async def` methods, namespaces.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParentWorker } from 'multifrost';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON } from './helpers.js';

const source = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'multifrost',
  'python',
  'multifrost_worker',
);

describe('the installed multifrost_worker module', () => {
  it('is imported from site-packages, not from the source folder, and matches the source', () => {
    const probe = spawnSync(
      PYTHON,
      [
        '-c',
        'import json, sysconfig, multifrost_worker; print(json.dumps([multifrost_worker.__file__, sysconfig.get_paths()["purelib"]]))',
      ],
      { encoding: 'utf8', cwd: tmpdir() },
    );
    expect(probe.status, probe.stderr).toBe(0);
    const [file, purelib] = JSON.parse(probe.stdout) as [string, string];
    const installed = path.dirname(realpathSync(file));
    expect(installed).toBe(path.join(realpathSync(purelib), 'multifrost_worker'));
    expect(installed.startsWith(realpathSync(source))).toBe(false);
    for (const name of readdirSync(source).filter((n) => n.endsWith('.py'))) {
      const same = readFileSync(path.join(installed, name), 'utf8') === readFileSync(path.join(source, name), 'utf8');
      expect(same, `${name} in ${installed} differs from the source: run \`npm run setup\` again`).toBe(true);
    }
  });
});

interface Api {
  square(x: number): number;
  slow_square(x: number, seconds: number): number;
  block(seconds: number): number;
  fail(text: string): never;
}

describe('a worker written with multifrost_worker in its own folder', () => {
  let dir: string;
  let worker: ParentWorker<Api>;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mf-pyworker-'));
    writeFileSync(
      path.join(dir, 'worker.py'),
      `import asyncio, time
from multifrost_worker import ChildWorker

class Models(ChildWorker):
    namespace = "models"

    def square(self, x):
        return x * x

    async def slow_square(self, x, seconds):
        await asyncio.sleep(seconds)
        return x * x

    def block(self, seconds):
        time.sleep(seconds)
        return seconds

    def fail(self, text):
        raise KeyError(text)

if __name__ == "__main__":
    Models().run()
`,
    );
    worker = await ParentWorker.spawn<Api>(path.join(dir, 'worker.py'), {
      executable: PYTHON,
      output: 'ignore',
      cwd: dir,
    });
  });
  afterAll(async () => {
    await worker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves plain and async def methods in its namespace, and refuses another namespace', async () => {
    const models = worker.with({ namespace: 'models' }).call;
    expect(await models.square(7)).toBe(49);
    expect(await models.slow_square(6, 0.01)).toBe(36);
    await expect(models.fail('nope')).rejects.toMatchObject({ remoteType: 'KeyError' });
    await expect(worker.call.square(2)).rejects.toThrow(/Namespace 'default' is not served/);
  });

  it('answers a plain call while an async def call is still sleeping', async () => {
    const models = worker.with({ namespace: 'models' }).call;
    const order: string[] = [];
    const slow = models.slow_square(3, 1.0).then((v) => order.push(`slow:${v}`));
    const quick = models.square(4).then((v) => order.push(`quick:${v}`));
    await Promise.all([slow, quick]);
    expect(order).toEqual(['quick:16', 'slow:9']);
  });

  it('answers an async def call while a plain method blocks its thread', async () => {
    const models = worker.with({ namespace: 'models' }).call;
    const order: string[] = [];
    const blocked = models.block(1.0).then(() => order.push('block'));
    const async = models.slow_square(5, 0).then((v) => order.push(`async:${v}`));
    await Promise.all([blocked, async]);
    expect(order).toEqual(['async:25', 'block']);
  });
});
