/**
 * Issue 15 defect 10: an exception class with a non-ASCII name, raised in a Python worker that
 * reports errors as the public Python peer does (the name only inside the `error` text), arrives
 * with its name, its message and its traceback.
 */
import { ParentWorker, RemoteCallError } from 'multifrost';
import { afterEach, expect, it } from 'vitest';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { fixture, quiet } from './helpers/workers.js';

const workers: ParentWorker<PyErrors>[] = [];

interface PyErrors {
  boom(text: string): never;
}
afterEach(async () => {
  for (const w of workers.splice(0)) await w.close();
});

it('a Python exception named Ошибка arrives as Ошибка, with its message and traceback', async () => {
  const w = await ParentWorker.spawn<PyErrors>(fixture('public-python-errors.py'), {
    ...quiet,
    executable: pythonBin(),
    channel: 'tcp',
  });
  workers.push(w);
  const err = await w.call.boom('плохо').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RemoteCallError);
  const remote = err as RemoteCallError;
  expect(remote.remoteType).toBe('Ошибка');
  expect(remote.remoteMessage).toBe('плохо');
  expect(remote.remoteStack).toMatch(/^Traceback \(most recent call last\):/);
});
