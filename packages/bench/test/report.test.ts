// The table's arithmetic: medians over rounds, ratios to the best column of each round (higher or
// lower is better per row), n/a for missing figures, and the doc block replaced in place.
import { describe, expect, it } from 'vitest';
import { renderTable, spliceBlock, TABLE_END, TABLE_START } from '../src/report.js';
import type { RunResult } from '../src/run-one.js';
import { merge } from '../src/run.js';

const run = (target: RunResult['target'], seqP50Us: number, pipelined64: number) =>
  ({ target, seqP50Us, pipelined64 }) as RunResult;

describe('merge', () => {
  it('takes each ratio to the best column within its round, then the median', () => {
    const results = merge(
      ['unix-socket', 'multifrost'],
      [
        { 'unix-socket': run('unix-socket', 20, 200), multifrost: run('multifrost', 60, 50) },
        { 'unix-socket': run('unix-socket', 40, 100), multifrost: run('multifrost', 40, 100) },
        { 'unix-socket': run('unix-socket', 10, 400), multifrost: run('multifrost', 50, 100) },
      ],
    );
    expect(results['unix-socket']?.seqP50Us).toBe(20);
    expect(results.multifrost?.seqP50Us).toBe(50);
    // latency: lower is better; per-round ratios 3, 1, 5
    expect(results.multifrost?.ratios.seqP50Us).toBe(3);
    // throughput: higher is better; per-round ratios 0.25, 1, 0.25
    expect(results.multifrost?.ratios.pipelined64).toBe(0.25);
    expect(results['unix-socket']?.ratios.pipelined64).toBe(1);
  });

  it('leaves out a failed round and shows n/a for a target with no figures', () => {
    const results = merge(
      ['unix-socket', 'http'],
      [{ 'unix-socket': run('unix-socket', 20, 200) }, { 'unix-socket': run('unix-socket', 30, 300) }],
    );
    expect(results['unix-socket']?.seqP50Us).toBe(25);
    const table = renderTable(results);
    expect(table).toMatch(/\| sequential latency p50 \| µs \| 25 \(1\.00×\) \| n\/a \|/);
  });
});

describe('spliceBlock', () => {
  it('replaces the generated block and keeps the hand-written text around it', () => {
    const doc = `# Benchmarks\n\nintro\n\n${TABLE_START}\nold\n${TABLE_END}\n\n## Study\ntext\n`;
    const out = spliceBlock(doc, `${TABLE_START}\nnew\n${TABLE_END}`);
    expect(out).toBe(`# Benchmarks\n\nintro\n\n${TABLE_START}\nnew\n${TABLE_END}\n\n## Study\ntext\n`);
  });

  it('puts the block after the title when the doc has none', () => {
    expect(spliceBlock('# Benchmarks\n\nrest\n', 'B')).toBe('# Benchmarks\n\nB\n\nrest\n');
  });
});
