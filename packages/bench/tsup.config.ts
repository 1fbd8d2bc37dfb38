/**
 * The bench is run built (`node dist/run.js`), as an application ships, not under tsx: tsx's hooks
 * cost the Multifrost parent 0.4–1.2 µs of CPU per pipelined call in alternated runs (see
 * docs/benchmarks.md), more than they cost the baselines. Each file is transpiled on its own (no
 * bundle: several are both a module and a script that checks whether it is the main one), and
 * the child scripts of src/servers are copied to dist/servers as they are (a copy, not a link:
 * `clean` would delete through a link).
 */
import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/*.ts'],
  format: ['esm'],
  bundle: false,
  clean: true,
  target: 'node20',
  platform: 'node',
  silent: true,
  async onSuccess() {
    cpSync('src/servers', 'dist/servers', { recursive: true });
  },
});
