// Where spawn() looks for the script: file: URLs, absolute paths, and paths relative to `cwd`.
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ParentWorker } from 'multifrost';
import { describe, expect, it } from 'vitest';
import { fixture, fixtures, quiet } from './helpers/workers.js';

interface Math {
  add(a: number, b: number): number;
}
interface Info {
  info(): { cwd: string };
}

describe('spawn() paths', () => {
  it("accepts new URL('./worker.ts', import.meta.url)", async () => {
    await using w = await ParentWorker.spawn<Math>(new URL('./fixtures/math-worker.ts', import.meta.url), quiet);
    expect(await w.call.add(2, 3)).toBe(5);
    expect(w.name).toBe('math-worker.ts');
  });

  it("accepts a file: URL's href as a string", async () => {
    await using w = await ParentWorker.spawn<Math>(pathToFileURL(fixture('math-worker.ts')).href, quiet);
    expect(await w.call.add(4, 5)).toBe(9);
  });

  it('runs an absolute path from another working directory', async () => {
    await using w = await ParentWorker.spawn<Info>(fixture('env-worker.mjs'), { ...quiet, cwd: tmpdir() });
    expect((await w.call.info()).cwd).toBe(realpathSync(tmpdir()));
  });

  it('resolves a relative path against the cwd option, not process.cwd()', async () => {
    expect(process.cwd()).not.toBe(fixtures);
    await using w = await ParentWorker.spawn<Math & Info>('./env-worker.mjs', { ...quiet, cwd: fixtures });
    expect((await w.call.info()).cwd).toBe(realpathSync(fixtures));
    // The same relative path without the option is looked up in process.cwd(), where it is not.
    const err = (await ParentWorker.spawn('./env-worker.mjs', quiet).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`no such file: ${path.join(process.cwd(), 'env-worker.mjs')}`);
  });

  it('resolves a relative cwd option against process.cwd()', async () => {
    const relative = path.relative(process.cwd(), fixtures);
    await using w = await ParentWorker.spawn<Info>('env-worker.mjs', { ...quiet, cwd: relative });
    expect((await w.call.info()).cwd).toBe(realpathSync(fixtures));
  });
});
