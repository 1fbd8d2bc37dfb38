/**
 * The build every published package shares: ESM + CJS + d.ts for Node 20, with sourcemaps. A
 * package's tsup.config.ts passes only what differs (more entries, a CLI bundle), so a change to
 * the toolchain is made once, here.
 */
import type { Options } from 'tsup';

export const libraryBuild = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // import.meta.url in the CJS build and __dirname in the ESM build.
  shims: true,
} satisfies Options;

/** The package's library build, with `overrides` on top (for example more entries). */
export function library(overrides: Options = {}): Options {
  return { ...libraryBuild, ...overrides };
}
