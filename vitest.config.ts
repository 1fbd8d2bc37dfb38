import { defineConfig } from 'vitest/config';

// Under CI (.ci/run) a JSON report is written too; scripts/vitest-summary.mjs reads it to print
// the plain "N passed, N failed" line.
export default defineConfig({
  test: {
    projects: ['packages/*'],
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-report.json' },
  },
});
