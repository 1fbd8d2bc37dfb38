// The registry under real concurrency: 20 long-lived driver processes (fixtures/registry-driver.mjs,
// which imports the BUILT package from dist) start each command at the same agreed moment.
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Driver, removeHome, tempHome, type DriverReply } from './helpers.js';

const N = 20;
let drivers: Driver[] = [];
const homes: string[] = [];

beforeAll(async () => {
  drivers = Array.from({ length: N }, () => new Driver());
  // A first command each, so every driver has loaded the package before the timed rounds.
  const home = tempHome();
  homes.push(home);
  await Promise.all(drivers.map((d) => d.send({ op: 'unregister', home, id: 'warm-up' })));
});
afterAll(async () => {
  await Promise.all(drivers.map((d) => d.kill()));
  for (const h of homes.splice(0)) removeHome(h);
});

/** Sends one command per driver, all to start at the same instant. */
function together(cmd: (i: number) => Record<string, unknown>): Promise<DriverReply[]> {
  const at = Date.now() + 30;
  return Promise.all(drivers.map((d, i) => d.send({ ...cmd(i), at })));
}

/** Reads services.json in a loop from this process and records any read that isn't whole JSON. */
function startReader(file: () => string) {
  let reads = 0;
  let stop = false;
  const bad: string[] = [];
  const done = (async () => {
    while (!stop) {
      try {
        const text = readFileSync(file(), 'utf8');
        JSON.parse(text);
        reads++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') bad.push(String(err));
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    async stop() {
      stop = true;
      await done;
      return { reads, bad };
    },
  };
}

const leftovers = (home: string) => readdirSync(home).filter((f) => f !== 'services.json');

describe(`${N} processes racing on one registry`, () => {
  it(`register ${N} different ids at once, 50 rounds: every id is there every round, every read parses`, async () => {
    let current = '';
    const reader = startReader(() => path.join(current, 'services.json'));
    try {
      for (let round = 0; round < 50; round++) {
        const home = tempHome();
        homes.push(home);
        current = home;
        const results = await together((i) => ({ op: 'register', home, id: `svc-${i}`, port: 20_000 + i }));
        expect(
          results.every((r) => r.ok),
          JSON.stringify(results.find((r) => !r.ok)),
        ).toBe(true);
        const data = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8')) as Record<
          string,
          { pid: number; port: number }
        >;
        expect(Object.keys(data).sort()).toEqual(drivers.map((_, i) => `svc-${i}`).sort());
        drivers.forEach((d, i) => expect(data[`svc-${i}`]).toMatchObject({ pid: d.pid, port: 20_000 + i }));
        expect(leftovers(home)).toEqual([]); // no lock, no temp files
        // Every fifth round also unregisters concurrently, so removals race too.
        if (round % 5 === 4) {
          const removed = await together((i) => ({ op: 'unregister', home, id: `svc-${i}` }));
          expect(removed.map((r) => r.result)).toEqual(drivers.map(() => true));
          expect(readFileSync(path.join(home, 'services.json'), 'utf8').trim()).toBe('{}');
        }
        removeHome(home);
      }
    } finally {
      const { reads, bad } = await reader.stop();
      expect(bad).toEqual([]);
      expect(reads).toBeGreaterThan(0);
    }
  }, 120_000);

  it(`register the SAME id at once: exactly one wins, ${N - 1} get ALREADY_REGISTERED`, async () => {
    for (let round = 0; round < 5; round++) {
      const home = tempHome();
      homes.push(home);
      const results = await together((i) => ({ op: 'register', home, id: 'contested', port: 30_000 + i }));
      const winners = results.map((r, i) => ({ r, i })).filter(({ r }) => r.ok);
      expect(winners).toHaveLength(1);
      const w = winners[0]!.i;
      const losers = results.filter((r) => !r.ok);
      expect(losers).toHaveLength(N - 1);
      for (const l of losers) {
        expect(l.code).toBe('ALREADY_REGISTERED');
        expect(l.message).toBe(`Service 'contested' already running (PID: ${drivers[w]!.pid}, port: ${30_000 + w})`);
      }
      const data = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8')) as Record<
        string,
        { pid: number }
      >;
      expect(data.contested).toMatchObject({ pid: drivers[w]!.pid, port: 30_000 + w });
      removeHome(home);
    }
  }, 60_000);

  it(`${N} waiters meeting the same stale lock break it once between them: no registration is lost`, async () => {
    for (let round = 0; round < 10; round++) {
      const home = tempHome();
      homes.push(home);
      const lock = path.join(home, 'services.lock');
      writeFileSync(lock, '99999');
      const old = (Date.now() - 60_000) / 1000;
      utimesSync(lock, old, old);
      const results = await together((i) => ({
        op: 'register',
        home,
        id: `svc-${i}`,
        port: 20_000 + i,
        staleLockMs: 1_000,
      }));
      expect(
        results.every((r) => r.ok),
        JSON.stringify(results.find((r) => !r.ok)),
      ).toBe(true);
      const data = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8')) as object;
      expect(Object.keys(data)).toHaveLength(N);
      expect(leftovers(home)).toEqual([]); // no lock, break guard or moved-aside lock left
      removeHome(home);
    }
  }, 60_000);
});
