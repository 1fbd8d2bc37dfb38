/**
 * Where the script given to `spawn()` is: a `file:` URL (`new URL('./worker.ts', import.meta.url)`,
 * which keeps working from any folder), an absolute path, or a path relative to the `cwd` option
 * (default `process.cwd()`). Checked before anything is spawned, so a typo fails at once with the
 * absolute path that was tried rather than as a worker that dies with a cut-off loader error.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MultifrostError } from '@multifrost/protocol';

export type ScriptLocation = string | URL;

/** The script's absolute path; throws `INVALID_ARGUMENT` or `START_FAILED` naming what was tried. */
export function resolveScriptPath(script: ScriptLocation, cwd: string): string {
  const absolute = toAbsolute(script, cwd);
  let isFile: boolean;
  try {
    isFile = statSync(absolute).isFile();
  } catch {
    const from =
      typeof script === 'string' && !path.isAbsolute(script) && !script.startsWith('file:')
        ? ` ('${script}' resolved against cwd ${cwd})`
        : '';
    throw new MultifrostError('START_FAILED', `Cannot spawn worker: no such file: ${absolute}${from}`, {
      details: { path: absolute, cwd },
    });
  }
  if (!isFile) {
    throw new MultifrostError('START_FAILED', `Cannot spawn worker: ${absolute} is not a file`, {
      details: { path: absolute, cwd },
    });
  }
  return absolute;
}

function toAbsolute(script: ScriptLocation, cwd: string): string {
  if (script instanceof URL) return fromUrl(script);
  if (typeof script !== 'string' || script.length === 0) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `spawn() needs the path or file: URL of the worker script, got ${describe(script)}`,
    );
  }
  // A URL's href passed as a string is as clear a request as the URL itself.
  if (script.startsWith('file:')) return fromUrl(new URL(script));
  return path.resolve(cwd, script);
}

function fromUrl(url: URL): string {
  if (url.protocol !== 'file:') {
    throw new MultifrostError('INVALID_ARGUMENT', `spawn() takes only file: URLs, got ${url.protocol} (${url.href})`, {
      details: { url: url.href },
    });
  }
  try {
    return fileURLToPath(url);
  } catch (err) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `spawn() could not turn ${url.href} into a path: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function describe(value: unknown): string {
  if (value === '') return 'an empty string';
  return value === null ? 'null' : typeof value;
}
