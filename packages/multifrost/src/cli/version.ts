/**
 * The version of the installed `multifrost` package, read from its own package.json at run time
 * so the bundled dist, a source run and an npm install all report the package they came from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  // Walk up rather than hard-code '../package.json': the file sits at a different depth in src and dist.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'multifrost' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here (or not ours): keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`cannot find multifrost's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
