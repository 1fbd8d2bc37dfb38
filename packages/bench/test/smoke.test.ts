// A smoke run of the benchmark harness: tiny counts, one round, two targets. It checks that the
// harness runs and produces every row of the table, and that a target that fails shows n/a; it
// asserts no timing.
import { describe, expect, it } from 'vitest';
import { renderTable, ROWS } from '../src/report.js';
import { runBenchmarks } from '../src/run.js';
import type { TargetName } from '../src/targets.js';

describe('benchmark harness', () => {
  it('runs every scenario against the Unix-socket baseline and Multifrost and renders the table', async () => {
    const results = await runBenchmarks({ quick: true, rounds: 1, targets: ['unix-socket', 'multifrost'] });
    for (const r of Object.values(results)) {
      expect(r.pipelined64).toBeGreaterThan(0);
      expect(r.pipelined256).toBeGreaterThan(0);
      expect(r.cpuParentUsPerCall).toBeGreaterThan(0);
      expect(r.bin16MBps).toBeGreaterThan(0);
      expect(r.spawnToFirstCallMs).toBeGreaterThan(0);
      expect(r.childRssIdleMb).toBeGreaterThan(0);
    }
    const table = renderTable(results);
    for (const row of ROWS) expect(table).toContain(row.label);
    expect(table).toMatch(/Multifrost → Node/);
    expect(table).toContain('(1.00×)');
  }, 120_000);

  it('reports a target whose run fails as n/a and goes on', async () => {
    const results = await runBenchmarks({
      quick: true,
      rounds: 1,
      targets: ['no-such-target' as TargetName, 'fork-ipc'],
    });
    expect(results['fork-ipc']?.pipelined64).toBeGreaterThan(0);
    expect(Number.isNaN(results['no-such-target' as TargetName]?.pipelined64)).toBe(true);
  }, 60_000);
});
