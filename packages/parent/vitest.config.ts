import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'parent',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The type tests (`*.test-d.ts`) also run under `vitest run`, so `pnpm test` fails on a wrong type.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
