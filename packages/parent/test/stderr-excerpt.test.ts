import { describe, expect, it } from 'vitest';
import { stderrExcerpt } from '../src/stderr-excerpt.js';

const nodeCrash = [
  'node:internal/modules/run_main:123',
  '    triggerUncaughtException(',
  '    ^',
  "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad' imported from /app/worker.ts",
  ...Array.from({ length: 30 }, (_, i) => `    at frame${i} (node:internal/modules/esm/resolve:${i}:9)`),
  "  code: 'ERR_MODULE_NOT_FOUND'",
  '}',
  '',
  'Node.js v20.20.2',
];

describe('stderrExcerpt', () => {
  it("keeps a Node crash's error line even when the stack pushed it out of the last lines", () => {
    const first = nodeCrash.slice(0, 20);
    const recent = nodeCrash.slice(-20);
    const text = stderrExcerpt(first, recent);
    expect(text.split('\n')[0]).toBe(
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad' imported from /app/worker.ts",
    );
    expect(text).toContain("code: 'ERR_MODULE_NOT_FOUND'");
    expect(text).not.toMatch(/\bat frame/);
    expect(text).not.toContain('Node.js v20');
  });

  it("keeps a Python traceback's last line once", () => {
    const lines = [
      'Traceback (most recent call last):',
      '  File "w.py", line 1, in <module>',
      '    import numpy',
      "ModuleNotFoundError: No module named 'numpy'",
    ];
    const text = stderrExcerpt(lines, lines);
    expect(text.match(/ModuleNotFoundError/g)).toHaveLength(1);
    expect(text.split('\n').at(-1)).toBe("ModuleNotFoundError: No module named 'numpy'");
  });

  it('is bounded and empty when nothing useful was printed', () => {
    const long = Array.from({ length: 20 }, () => 'E'.repeat(499));
    expect(stderrExcerpt(long, long).length).toBeLessThanOrEqual(2_001);
    expect(stderrExcerpt([], [])).toBe('');
    expect(stderrExcerpt(['', '   '], ['', '   '])).toBe('');
  });
});

describe('stderrExcerpt of a short crash', () => {
  it('starts at the error line when everything fitted in the kept lines', () => {
    const lines = [
      'node:internal/modules/run_main:123',
      '    triggerUncaughtException(',
      '    ^',
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'",
      '    at y (z:1:1)',
      'Node.js v20.20.2',
    ];
    expect(stderrExcerpt(lines, lines)).toBe("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'");
  });
});
