/**
 * A namespaced debug hook with no dependency: `DEBUG=multifrost:*` (or `multifrost:parent`, a
 * comma-separated list; `-name` excludes) writes `util.format`-style lines to stderr. Library code
 * logs only through this. The switch is read once per namespace, when its logger is created.
 */
import { formatWithOptions } from 'node:util';

export type DebugLog = ((format: string, ...args: unknown[]) => void) & { readonly enabled: boolean };

function patternMatches(namespace: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return namespace.startsWith(pattern.slice(0, -1));
  return namespace === pattern;
}

/** True when `spec` (the DEBUG value) switches `namespace` on: some pattern matches and no `-pattern` does. */
export function debugEnabled(namespace: string, spec: string): boolean {
  const patterns = spec.split(/[\s,]+/).filter(Boolean);
  if (patterns.some((p) => p.startsWith('-') && patternMatches(namespace, p.slice(1)))) return false;
  return patterns.some((p) => !p.startsWith('-') && patternMatches(namespace, p));
}

/** Shared by every disabled logger: formats nothing, so a call costs only the call itself. */
const off: DebugLog = Object.assign((_format: string, ..._args: unknown[]): void => {}, { enabled: false as const });

export function createDebug(namespace: string): DebugLog {
  if (!debugEnabled(namespace, process.env.DEBUG ?? '')) return off;
  const log = (format: string, ...args: unknown[]): void => {
    // One write per line, so lines from concurrent loggers never interleave mid-line.
    process.stderr.write(
      `${new Date().toISOString()} ${namespace} ${formatWithOptions({ breakLength: Infinity }, format, ...args)}\n`,
    );
  };
  return Object.assign(log, { enabled: true as const });
}
