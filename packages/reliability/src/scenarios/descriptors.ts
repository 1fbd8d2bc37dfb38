/** Scenario 13: workers spawned and closed give back every descriptor at close(), not at GC. */
import { readdirSync } from 'node:fs';
import { ParentWorker } from 'multifrost';
import { check, fixture, type Scenario } from '../support.js';

const openHere = (): number => readdirSync('/proc/self/fd').length;

/** A few descriptors may come and go on their own (a timer's, a log file's); a leak grows with n. */
const SLACK = 6;

export const closedWorkerDescriptors: Scenario = {
  id: 13,
  name: 'Closed workers hold no descriptors',
  proves:
    'after n workers are spawned, called and closed, the parent has as many open descriptors as before (within a small constant), without waiting for garbage collection',
  async run({ full }) {
    const n = full ? 100 : 20;
    const once = async () => {
      const w = await ParentWorker.spawn(fixture('worker.mjs'), { output: 'ignore' });
      try {
        check((await w.call.add!(1, 2)) === 3, 'add(1, 2) did not return 3');
      } finally {
        await w.close();
      }
    };
    await once(); // loads modules and starts libzmq's threads, which stay
    const before = openHere();
    for (let i = 0; i < n; i++) await once();
    // close() resolved for each; libzmq's reaper thread finishes a socket's teardown just after.
    await new Promise((r) => setTimeout(r, 300));
    const after = openHere();
    check(
      after - before <= SLACK,
      `${after - before} more descriptors open after ${n} workers were closed (${before} → ${after})`,
    );
    return { figures: { workers: n, 'descriptors before → after': `${before} → ${after}` } };
  },
};
