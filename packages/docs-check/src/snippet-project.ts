/**
 * Turns doc blocks into a throwaway project on disk and typechecks it the way a user's project
 * would be: a `"type": "module"` package whose node_modules holds the built Multifrost packages
 * (symlinks to this workspace's packages, resolved through docs-check's own declared dependencies,
 * so each package's own dependencies resolve exactly as they do once installed).
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import type { CodeBlock } from './code-blocks.js';

const require = createRequire(import.meta.url);

export const PUBLIC_PACKAGES = [
  'multifrost',
  '@multifrost/protocol',
  '@multifrost/transport-zmq',
  '@multifrost/registry',
  '@multifrost/registry-redis',
  '@multifrost/parent',
  '@multifrost/child',
] as const;

export interface SnippetFile {
  block: CodeBlock;
  /** Absolute path of the file written for the block. */
  path: string;
}

/** Where a package's folder is, as docs-check resolves it (its package.json's directory). */
export function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/** A fresh `"type": "module"` project in the OS temp dir whose node_modules links `packages`. */
export function createProject(prefix: string, packages: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'docs-snippets', private: true, type: 'module' }));
  for (const name of packages) {
    const link = join(root, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(packageDir(name), link, 'dir');
  }
  return root;
}

function extensionFor(lang: string): string {
  if (lang === 'mjs') return '.mjs';
  if (lang === 'js' || lang === 'javascript') return '.js';
  if (lang === 'mts') return '.mts';
  return '.ts';
}

/**
 * Writes a document's blocks into `dir`: named blocks under their names, the others as
 * `block-L<line>.<ext>`. Two blocks naming the same file is a doc error, reported by throwing.
 */
export function writeBlocks(dir: string, blocks: readonly CodeBlock[]): SnippetFile[] {
  const seen = new Map<string, CodeBlock>();
  return blocks.map((block) => {
    const name = block.fileName ?? `block-L${block.line}${extensionFor(block.lang)}`;
    const earlier = seen.get(name);
    if (earlier)
      throw new Error(`${block.doc}:${block.line} names ${name}, already used by the block at line ${earlier.line}`);
    seen.set(name, block);
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, block.code);
    return { block, path };
  });
}

/** Compiler options from a tsconfig.json text (comments allowed), as `tsc -p` would read them. */
export function compilerOptionsFrom(tsconfigText: string, baseDir: string): ts.CompilerOptions {
  const parsed = ts.parseConfigFileTextToJson('tsconfig.json', tsconfigText);
  if (parsed.error)
    throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, '\n')}`);
  const converted = ts.convertCompilerOptionsFromJson(parsed.config?.compilerOptions ?? {}, baseDir);
  if (converted.errors.length > 0) {
    throw new Error(
      `tsconfig.json: ${converted.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`,
    );
  }
  return converted.options;
}

/**
 * Typechecks every file in one program and returns each file's diagnostics as
 * `doc.md:<line>: TS<code> <message>`, the line being the Markdown line, so a failure points at the
 * doc to fix. Diagnostics outside the snippets (in a package's types) are returned under `other`.
 */
export function typecheck(
  files: readonly SnippetFile[],
  options: ts.CompilerOptions,
): { byFile: Map<SnippetFile, string[]>; other: string[] } {
  const program = ts.createProgram(
    files.map((f) => f.path),
    // Every block is a module of its own, even one without import/export, so two blocks of a doc
    // never clash over a top-level name; JS blocks are checked too.
    { ...options, noEmit: true, allowJs: true, checkJs: true, moduleDetection: ts.ModuleDetectionKind.Force },
  );
  const byPath = new Map(files.map((f) => [ts.sys.resolvePath(f.path), f] as const));
  const byFile = new Map<SnippetFile, string[]>(files.map((f) => [f, []]));
  const other: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const file = d.file ? byPath.get(ts.sys.resolvePath(d.file.fileName)) : undefined;
    if (d.file && file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      // The block's code starts on the line after its opening fence.
      byFile.get(file)!.push(`${file.block.doc}:${file.block.line + 1 + line}: TS${d.code} ${text}`);
    } else {
      const where = d.file ? relative(process.cwd(), d.file.fileName) : 'options';
      other.push(`${where}: TS${d.code} ${text}`);
    }
  }
  return { byFile, other };
}
