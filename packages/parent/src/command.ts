/**
 * Turning `spawn('./worker.ts')` into an argv, never through a shell:
 * `.ts`/`.mts`/`.cts` → this Node with the tsx loader, `.js`/`.mjs`/`.cjs` → this Node, `.py` →
 * `$PYTHON_BIN`, else `$MULTIFROST_PYTHON`, else `python3`. A bare executable name is looked up
 * in `node_modules/.bin` (from the working directory up) before PATH.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MultifrostError } from '@multifrost/protocol';

export interface Command {
  file: string;
  args: string[];
}

let tsxLoader: string | undefined;

/** Absolute file URL of tsx's ESM loader, so `--import` works whatever the child's cwd. */
export function tsxLoaderUrl(): string {
  if (!tsxLoader) {
    const require = createRequire(import.meta.url);
    tsxLoader = pathToFileURL(require.resolve('tsx')).href;
  }
  return tsxLoader;
}

function findInNodeModulesBin(name: string, from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', '.bin', name);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function resolveCommand(
  script: string,
  executable: string | undefined,
  extraArgs: string[],
  cwd: string,
): Command {
  if (typeof script !== 'string' || script.length === 0) {
    throw new MultifrostError('INVALID_ARGUMENT', 'spawn() needs the path of the worker script');
  }
  const scriptPath = path.resolve(cwd, script);
  if (executable !== undefined) {
    if (executable === 'node') return { file: process.execPath, args: [scriptPath, ...extraArgs] };
    let file = executable;
    if (!executable.includes('/') && !executable.includes('\\')) {
      file =
        findInNodeModulesBin(executable, cwd) ??
        findInNodeModulesBin(executable, path.dirname(scriptPath)) ??
        executable;
    }
    if (executable === scriptPath || executable === script) return { file: scriptPath, args: extraArgs };
    return { file, args: [scriptPath, ...extraArgs] };
  }
  const ext = path.extname(scriptPath).toLowerCase();
  switch (ext) {
    case '.ts':
    case '.mts':
    case '.cts':
    case '.tsx':
      return { file: process.execPath, args: ['--import', tsxLoaderUrl(), scriptPath, ...extraArgs] };
    case '.js':
    case '.mjs':
    case '.cjs':
      return { file: process.execPath, args: [scriptPath, ...extraArgs] };
    case '.py':
      return {
        file: process.env.PYTHON_BIN || process.env.MULTIFROST_PYTHON || 'python3',
        args: [scriptPath, ...extraArgs],
      };
    default:
      if (isExecutableFile(scriptPath)) return { file: scriptPath, args: extraArgs };
      throw new MultifrostError(
        'INVALID_ARGUMENT',
        `Cannot tell how to run '${script}' (extension '${ext || 'none'}'); pass { executable } (e.g. spawn('${script}', '/usr/bin/ruby'))`,
      );
  }
}
