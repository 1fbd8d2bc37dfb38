import { tmpdir } from 'node:os';
import { realpathSync } from 'node:fs';
import { ParentWorker } from 'multifrost';
import { describe, expect, it } from 'vitest';
import { fixture, quiet } from './helpers/workers.js';

interface Info {
  env: string | null;
  portStillSet: boolean;
  cwd: string;
  argv: string[];
}

describe('spawn options', () => {
  it('passes env (merged over process.env), cwd and args; the port variable is consumed', async () => {
    await using w = await ParentWorker.spawn<{ info(): Info }>(fixture('env-worker.mjs'), {
      ...quiet,
      env: { MY_SETTING: 'on' },
      cwd: tmpdir(),
      args: ['--flag', 'two words'],
    });
    const info = await w.call.info();
    expect(info).toEqual({
      env: 'on',
      portStillSet: false,
      cwd: realpathSync(tmpdir()),
      argv: ['--flag', 'two words'],
    });
  });

  it("accepts an executable as second argument, e.g. spawn('./worker.ts', 'tsx'), found in node_modules/.bin", async () => {
    await using w = await ParentWorker.spawn<{ add(a: number, b: number): number }>(
      fixture('math-worker.ts'),
      'tsx',
      quiet,
    );
    expect(await w.call.add(2, 3)).toBe(5);
  });

  it('start() is idempotent and resolves with the same ready worker', async () => {
    await using w = await ParentWorker.spawn(fixture('math-worker.ts'), quiet);
    expect(await w.start()).toBe(w);
    expect(await w.start()).toBe(w);
  });
});
