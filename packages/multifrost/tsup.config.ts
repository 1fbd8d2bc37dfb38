import { defineConfig } from 'tsup';
import { library, libraryBuild } from '../../tsup.base';

export default defineConfig([
  // Not cleaned: the CLI bundle below writes into the same dist.
  library({ clean: false }),
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: libraryBuild.sourcemap,
    target: libraryBuild.target,
    platform: libraryBuild.platform,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
