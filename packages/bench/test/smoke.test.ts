// A smoke run of the benchmark harness: tiny counts, one round, two targets. It checks that the
// harness runs and produces every row of the table; it asserts no timing.
import { describe, expect, it } from 'vitest';
import { renderTable } from '../src/report.js';
import { runBenchmarks } from '../src/run.js';

describe('benchmark harness', () => {
  it('runs every scenario against raw zeromq.js and Multifrost and renders the table', async () => {
    const results = await runBenchmarks({ quick: true, rounds: 1, targets: ['raw-zmq', 'multifrost'] });
    for (const r of Object.values(results)) {
      expect(r.pipelined64).toBeGreaterThan(0);
      expect(r.bin16MBps).toBeGreaterThan(0);
      expect(r.spawnToFirstCallMs).toBeGreaterThan(0);
      expect(r.childRssIdleMb).toBeGreaterThan(0);
    }
    const table = renderTable(results);
    for (const label of [
      'sequential latency p50',
      'p99.9',
      'pipelined, 64 in flight',
      'pipelined, 256 in flight',
      '4 pairs at once',
      'binary echo 1 MiB',
      'binary echo 16 MiB',
      'spawn to first call',
      'child RSS idle',
      'parent RSS',
    ]) {
      expect(table).toContain(label);
    }
    expect(table).toMatch(/Multifrost → Node/);
    expect(table).toMatch(/\(\d+\.\d\d×\)/);
  }, 120_000);
});
