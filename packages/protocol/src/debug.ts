/**
 * A namespaced debug hook with no dependency: `DEBUG=multifrost:*` (or `multifrost:parent`, a
 * comma-separated list) writes lines to stderr. Library code logs only through this.
 */

export type DebugLog = ((format: string, ...args: unknown[]) => void) & { readonly enabled: boolean };

function matches(namespace: string, spec: string): boolean {
  return spec
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((pattern) => {
      if (pattern.startsWith('-')) return false;
      if (pattern === '*') return true;
      if (pattern.endsWith('*')) return namespace.startsWith(pattern.slice(0, -1));
      return namespace === pattern;
    });
}

export function createDebug(namespace: string): DebugLog {
  const enabled = matches(namespace, process.env.DEBUG ?? '');
  const log = (format: string, ...args: unknown[]): void => {
    if (!enabled) return;
    const rest = args.map((a) => (typeof a === 'string' ? a : safeInspect(a))).join(' ');
    process.stderr.write(`${new Date().toISOString()} ${namespace} ${format}${rest ? ` ${rest}` : ''}\n`);
  };
  return Object.assign(log, { enabled });
}

function safeInspect(value: unknown): string {
  if (value instanceof Error) return value.stack ?? value.message;
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
