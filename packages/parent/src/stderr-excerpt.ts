/**
 * The part of a dead or silent worker's stderr worth putting in an error message. A Node crash at
 * import prints its reason (`Error [ERR_MODULE_NOT_FOUND]: Cannot find package ...`) first and
 * then a stack and `Node.js v20...`, so the last lines alone lose the one line that says what to
 * fix; a Python traceback ends with it. So: the first line that looks like an error, then the last
 * meaningful lines, bounded in size.
 */

const TAIL_LINES = 6;
const MAX_CHARS = 2_000;

/** `TypeError: ...`, `Error [ERR_MODULE_NOT_FOUND]: ...`, `ModuleNotFoundError: ...`. */
const ERROR_HEADLINE = /^\s*(Uncaught\s+)?[\w.]*(Error|Exception)(\s\[[^\]]*\])?:/;
const ERROR_WORD = /\bfatal\b|\berror\b|\bcannot\b|\bnot found\b|\bfailed\b/i;

function isNoise(line: string): boolean {
  const t = line.trim();
  return (
    t === '' ||
    t === '{' ||
    t === '}' ||
    /^at\s/.test(t) ||
    /^\^+$/.test(t) ||
    /^Node\.js v\d/.test(t) ||
    /^node:internal\//.test(t) ||
    /^File ".*", line \d+/.test(t)
  );
}

/**
 * `first` and `recent` are the first and last kept lines; they overlap completely when the process
 * printed no more lines than were kept. Returns '' when nothing useful was printed.
 */
export function stderrExcerpt(first: readonly string[], recent: readonly string[]): string {
  const key = first.find((l) => ERROR_HEADLINE.test(l)) ?? first.find((l) => !isNoise(l) && ERROR_WORD.test(l));
  const tail = recent.filter((l) => !isNoise(l)).slice(-TAIL_LINES);
  // What comes before the error line is the source excerpt Node prints, not the reason.
  const at = key === undefined ? -1 : tail.indexOf(key);
  const lines = key === undefined ? tail : at >= 0 ? tail.slice(at) : [key, '…', ...tail];
  const text = lines.join('\n');
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}
