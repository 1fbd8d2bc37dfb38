/**
 * Every TypeScript/JavaScript block of the docs (README.md, docs/*.md, packages/* and examples/*
 * READMEs) typechecks, against the built packages, with the tsconfig.json the README tells users
 * to write.
 *
 * Conventions for doc writers (see src/code-blocks.ts):
 * - ```ts, ```typescript, ```mts, ```js, ```javascript and ```mjs blocks are checked; others
 *   (bash, json, text) are not.
 * - A first line `// <file>` (`// worker.ts`, `// app.ts — the caller`) names the block's file.
 *   Named blocks of one Markdown file share a folder, so `app.ts` can `import type { MathWorker }
 *   from './worker.js'`. Unnamed blocks each get a file of their own. Every block is a module.
 * - ```ts partial marks a deliberate fragment (a signature, an excerpt). It is skipped and shows up
 *   as a skipped test; keep them few.
 *
 * Run: `pnpm --filter @multifrost/docs-check... build` once, then
 * `npx vitest run --project docs-check` from the repository root.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBlocks, isChecked, isPartial, type CodeBlock } from '../src/code-blocks.js';
import { docBlocks, docFiles } from '../src/doc-files.js';
import {
  PUBLIC_PACKAGES,
  compilerOptionsFrom,
  createProject,
  typecheck,
  writeBlocks,
  type SnippetFile,
} from '../src/snippet-project.js';

/** A document that must fail: the README's old bug (an import of a class the worker never exported). */
const BROKEN_DOC = '<broken>.md';
const BROKEN = extractBlocks(
  [
    '```ts',
    '// worker.ts',
    "import { ChildWorker } from 'multifrost';",
    'export class MathWorker extends ChildWorker { add(a: number, b: number) { return a + b; } }',
    'class Hidden extends ChildWorker {}',
    'new MathWorker().run();',
    '```',
    '```ts',
    '// app.ts',
    "import { ParentWorker } from 'multifrost';",
    "import type { MathWorker, Hidden } from './worker.js';",
    "const n: string = await (await ParentWorker.spawn<MathWorker>('./worker.ts')).call.add(1, 2);",
    '```',
  ].join('\n'),
  BROKEN_DOC,
);

/** The maximum number of `partial` blocks: a fragment is a promise nobody checks. */
const MAX_PARTIAL = 4;

const docs = docFiles();
const blocksByDoc = new Map(docs.map((d) => [d, docBlocks(d).filter(isChecked)] as const));
const all = [...blocksByDoc.values()].flat();
const partial = all.filter(isPartial);
const tsconfig = docBlocks('README.md').find((b) => b.fileName === 'tsconfig.json');

let root = '';
let results: { byFile: Map<SnippetFile, string[]>; other: string[] } | undefined;
const fileOf = new Map<CodeBlock, SnippetFile>();

function diagnosticsOf(block: CodeBlock): string[] {
  const file = fileOf.get(block);
  if (!file || !results) throw new Error(`${block.doc}:${block.line} was not typechecked`);
  return results.byFile.get(file)!;
}

const label = (b: CodeBlock) => `${b.doc}:${b.line}${b.fileName ? ` (${b.fileName})` : ''}`;

beforeAll(() => {
  if (!tsconfig) throw new Error('README.md has no `// tsconfig.json` block to typecheck the snippets with');
  root = createProject('mf-docs-', [...PUBLIC_PACKAGES, '@types/node']);
  const options = compilerOptionsFrom(tsconfig.code, root);
  const files: SnippetFile[] = [];
  for (const [doc, blocks] of [...blocksByDoc, [BROKEN_DOC, BROKEN] as const]) {
    const checked = blocks.filter((b) => !isPartial(b));
    if (checked.length === 0) continue;
    const written = writeBlocks(join(root, doc.replace(/[^\w-]+/g, '_')), checked);
    for (const f of written) fileOf.set(f.block, f);
    files.push(...written);
  }
  results = typecheck(files, options);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('doc snippets', () => {
  it('the README shows the tsconfig.json they are checked with', () => {
    expect(tsconfig?.code).toMatch(/"module"\s*:/);
  });

  it('the packages’ own types raise nothing under that tsconfig', () => {
    expect(results!.other).toEqual([]);
  });

  for (const block of all) {
    if (isPartial(block)) {
      it.skip(`${label(block)} is marked partial`, () => {});
      continue;
    }
    it(`${label(block)} typechecks`, () => {
      expect(diagnosticsOf(block)).toEqual([]);
    });
  }

  it(`at most ${MAX_PARTIAL} blocks are marked partial`, () => {
    console.info(
      `${all.length} checked-language blocks in ${docs.length} docs; ${partial.length} partial, skipped: ${partial.map(label).join(', ') || 'none'}`,
    );
    expect(partial.length).toBeLessThanOrEqual(MAX_PARTIAL);
  });

  it('a broken snippet fails, at the Markdown line of the mistake', () => {
    const [worker, app] = BROKEN;
    expect(diagnosticsOf(worker!)).toEqual([]);
    const found = diagnosticsOf(app!);
    // Line 11: the import of a class the worker never exported; line 12: a number assigned to a string.
    expect(found.some((d) => d.startsWith(`${BROKEN_DOC}:11: TS2459`))).toBe(true);
    expect(found.some((d) => d.startsWith(`${BROKEN_DOC}:12: TS2322`))).toBe(true);
  });
});
