/**
 * Reads the fenced code blocks of a Markdown file, with the two conventions the docs use:
 *
 * - A block whose first line is a comment naming a file (`// worker.ts`, `// tsconfig.json`,
 *   optionally followed by more words: `// worker.ts — the worker`) becomes that file, so blocks
 *   of one document that import each other (`app.ts` importing `./worker.js`) are checked together.
 *   Unnamed blocks get a file of their own.
 * - A block whose info string carries the word `partial` (```` ```ts partial ````) is a deliberate
 *   fragment (a signature, an excerpt) and is not checked; the suite reports how many there are.
 */

export interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  doc: string;
  /** 1-based line of the opening fence in the Markdown file. */
  line: number;
  /** First word of the info string, lower-cased (`ts`, `bash`, ...). Empty when there is none. */
  lang: string;
  /** The other words of the info string (`partial`, ...). */
  flags: string[];
  /** Set when the first line is a `// <file>` comment. */
  fileName?: string;
  code: string;
}

/** The languages whose blocks the suite typechecks. */
export const CHECKED_LANGS: ReadonlySet<string> = new Set(['ts', 'typescript', 'mts', 'js', 'javascript', 'mjs']);

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`]*)$/;
const FILE_COMMENT = /^\/\/\s*([\w./-]+\.(?:[cm]?[jt]s|jsonc?))(?:\s|$)/;

export function extractBlocks(markdown: string, doc: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const [lang = '', ...flags] = open[2]!.trim().split(/\s+/).filter(Boolean);
    const indent = lines[i]!.length - lines[i]!.trimStart().length;
    const body: string[] = [];
    let j = i + 1;
    // A closing fence is the same character, at least as long, and nothing after it.
    for (; j < lines.length; j++) {
      const l = lines[j]!.trim();
      if (l.startsWith(fence) && /^[`~]+$/.test(l) && l[0] === fence[0]) break;
      body.push(indent > 0 ? lines[j]!.replace(new RegExp(`^ {0,${indent}}`), '') : lines[j]!);
    }
    const code = body.join('\n') + '\n';
    const named = FILE_COMMENT.exec(body[0] ?? '');
    blocks.push({ doc, line: i + 1, lang: lang.toLowerCase(), flags, code, ...(named ? { fileName: named[1]! } : {}) });
    i = j;
  }
  return blocks;
}

export function isChecked(block: CodeBlock): boolean {
  return CHECKED_LANGS.has(block.lang);
}

export function isPartial(block: CodeBlock): boolean {
  return block.flags.includes('partial');
}
