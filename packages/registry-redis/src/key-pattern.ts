/**
 * Service ids are arbitrary strings, and `list(prefix)` is a `SCAN MATCH` glob: a `*`, `?`, `[` or
 * backslash in the prefix must match itself, not everything.
 */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
