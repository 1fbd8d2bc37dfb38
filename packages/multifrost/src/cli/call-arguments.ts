/**
 * The arguments of `multifrost call`: JSON (with the bytes/BigInt tags) unless `--string-args`
 * says otherwise. Text that is not JSON is refused rather than guessed at, because a shell that
 * ate the quotes of '"42"' or '{"a":1}' would otherwise send a different value than intended.
 */
import { UsageError } from './command-line.js';
import { fromTaggedJson } from './tagged-json.js';

const SHOWN_CHARS = 60;

function shown(text: string): string {
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
}

export function callArguments(texts: string[], stringArgs: boolean): unknown[] {
  if (stringArgs) return [...texts];
  return texts.map((text, i) => {
    try {
      return fromTaggedJson(text);
    } catch (err) {
      const reason = (err as Error).message;
      // The ready-to-paste form only works when single quotes can wrap it for the shell.
      const paste = text.includes("'") ? '' : `quote it for the shell ('${shown(JSON.stringify(text))}'), or `;
      throw new UsageError(
        `argument ${i + 1} is not valid JSON: ${shown(text)} (${reason}).\n` +
          `Each argument is parsed as JSON. To send it as a string, ${paste}pass --string-args to send every argument as a string.`,
        'call',
      );
    }
  });
}
