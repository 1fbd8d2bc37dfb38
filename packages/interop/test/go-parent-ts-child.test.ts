// Go parent (go-zeromq/zmq4 + msgpack/v5) ↔ TS child, spawn and connect mode, v3 and v4, and Go
// and TS writers racing on one services.json.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FileServiceRegistry } from 'multifrost';
import { describe, expect, it } from 'vitest';
import { alive, goBin, goParent, goTsWorkerCommand, results, until } from './go-helpers.js';
import { startService, tempHome } from './helpers.js';

describe.concurrent.each(['v3', 'v4'] as const)('Go parent → TS child (%s)', (app) => {
  it('spawn mode: values arrive typed in Go, errors keep names, output is forwarded, 1,000 concurrent calls', async () => {
    const { home, cleanup } = tempHome();
    try {
      const env = { ...process.env, MULTIFROST_HOME: home };
      const one = await goParent(
        {
          spawn: goTsWorkerCommand,
          app,
          calls: [
            ['add', [1, 2]],
            ['values', []],
            ['echo', [2 ** 40]],
            ['fail', ['bad input']],
            ['shout', ['from ts']],
          ],
        },
        env,
      ).done;
      expect(one.code, one.stderr).toBe(0);
      const r = results(one.lines);
      expect(r[0]!.result).toEqual({ type: 'int8', repr: '3' });
      const items = r[1]!.result!.items as { type: string; repr?: string }[];
      expect(items.map((x) => x.type)).toEqual([
        'nil',
        'bool',
        'int8',
        'int8',
        'int64',
        'int64',
        'uint64',
        'float64',
        'string',
        'string',
        '[]uint8',
        '[]interface {}',
        '[]interface {}',
        'map[string]interface {}',
        'map[string]interface {}',
        'time.Time',
      ]);
      expect(items[6]!.repr).toBe('18446744073709551615');
      expect(items[10]!.repr).toBe('00ff');
      expect(items[15]!.repr).toBe('2023-11-14T22:13:20Z');
      expect(r[2]!.result).toEqual({ type: 'int64', repr: '1099511627776' });
      expect(r[3]).toMatchObject({ ok: false, error: 'RangeError: bad input' });
      // Defect 2: under a parent that is not ours, the TS child forwards output over the wire.
      expect(one.lines).toContainEqual({ stream: 'stdout', output: 'from ts' });
      expect(one.lines).toContainEqual({ stream: 'stderr', output: 'err:from ts' });

      const many = await goParent(
        {
          spawn: goTsWorkerCommand,
          app,
          concurrent: true,
          calls: Array.from({ length: 1000 }, (_, i) => ['add', [i, 1]] as [string, unknown[]]),
        },
        env,
      ).done;
      const sums = results(many.lines);
      expect(sums.length).toBe(1000);
      expect(sums.every((l, i) => l.ok && l.result!.repr === String(i + 1))).toBe(true);
    } finally {
      cleanup();
    }
  });

  it('connect mode: a Go parent finds and calls a TS service', async () => {
    const { home, cleanup } = tempHome();
    const env = { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: `ts-${app}` };
    const service = await startService(goTsWorkerCommand, env);
    try {
      const run = await goParent(
        {
          connect: `ts-${app}`,
          home,
          app,
          calls: [
            ['add', [2, 3]],
            ['pid', []],
          ],
        },
        env,
      ).done;
      expect(run.code, run.stderr).toBe(0);
      const r = results(run.lines);
      expect(r[0]!.result!.repr).toBe('5');
      expect(r[1]!.result!.repr).toBe(String(service.pid));
    } finally {
      service.kill('SIGKILL');
      cleanup();
    }
  });
});

describe.concurrent('Go parent → TS child: liveness and shutdown', () => {
  it('a TS child SIGKILLed mid-call: the Go parent sees the exit', async () => {
    const { home, cleanup } = tempHome();
    try {
      let childPid = 0;
      const run = goParent(
        {
          spawn: goTsWorkerCommand,
          app: 'v4',
          calls: [
            ['pid', []],
            ['sleep', [20_000]],
          ],
          concurrent: true,
        },
        { ...process.env, MULTIFROST_HOME: home },
        (l) => {
          if (l.child_pid) childPid = l.child_pid;
          if (l.i === 0 && l.ok) setTimeout(() => process.kill(childPid, 'SIGKILL'), 200);
        },
      );
      const { lines } = await run.done;
      expect(results(lines)[1]).toMatchObject({ ok: false, error: expect.stringContaining('WORKER_EXITED') });
    } finally {
      cleanup();
    }
  });

  it('a 10 s CPU-bound TS call under a Go parent completes', async () => {
    const { home, cleanup } = tempHome();
    try {
      const run = await goParent(
        {
          spawn: goTsWorkerCommand,
          app: 'v4',
          calls: [
            ['burn', [10_000]],
            ['add', [1, 1]],
          ],
        },
        { ...process.env, MULTIFROST_HOME: home },
      ).done;
      const r = results(run.lines);
      expect(r[0]!.ok).toBe(true);
      expect(r[1]!.result!.repr).toBe('2');
    } finally {
      cleanup();
    }
  }, 40_000);

  it('the TS child exits after the Go parent shuts it down, and when the Go parent is SIGKILLed (defect 3)', async () => {
    const { home, cleanup } = tempHome();
    const env = { ...process.env, MULTIFROST_HOME: home };
    try {
      let pid = 0;
      const clean = await goParent({ spawn: goTsWorkerCommand, app: 'v4', calls: [['pid', []]] }, env, (l) => {
        if (l.child_pid) pid = l.child_pid;
      }).done;
      expect(clean.code).toBe(0);
      expect(await until(() => !alive(pid), 5_000)).toBe(true);

      let orphan = 0;
      const run = goParent(
        {
          spawn: goTsWorkerCommand,
          app: 'v4',
          calls: [
            ['pid', []],
            ['sleep', [20_000]],
          ],
          concurrent: true,
        },
        env,
        (l, parentPid) => {
          if (l.child_pid) orphan = l.child_pid;
          if (l.i === 0) process.kill(parentPid, 'SIGKILL');
        },
      );
      await run.done;
      const gone = await until(() => !alive(orphan), 10_000);
      if (!gone) process.kill(orphan, 'SIGKILL');
      expect(gone).toBe(true);
    } finally {
      cleanup();
    }
  }, 30_000);

  it('Go and TS register 20 services each, concurrently, into one services.json: nothing is lost', async () => {
    const { home, cleanup } = tempHome();
    const goIds = Array.from({ length: 20 }, (_, i) => `go-${i}`);
    const holder = spawn(goBin, ['register', ...goIds], {
      env: { ...process.env, MULTIFROST_HOME: home },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      const registry = new FileServiceRegistry({ home });
      const goDone = new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('registered') && resolve());
        holder.on('exit', (code) => reject(new Error(`go register exited ${code}`)));
      });
      await Promise.all([goDone, ...Array.from({ length: 20 }, (_, i) => registry.register(`ts-${i}`, 30000 + i))]);
      const entries = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8')) as Record<
        string,
        { pid: number; start_time?: string; started?: string }
      >;
      for (const id of goIds)
        expect(entries[id], id).toMatchObject({ pid: holder.pid, start_time: expect.any(String) });
      for (let i = 0; i < 20; i++) expect(entries[`ts-${i}`], `ts-${i}`).toMatchObject({ pid: process.pid });
    } finally {
      holder.kill('SIGKILL');
      cleanup();
    }
  });
});
