/**
 * Which Markdown files count as the docs: the README, everything in docs/, and the README of every
 * package and example. New docs are picked up without touching the suite.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractBlocks, type CodeBlock } from './code-blocks.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function docFiles(root: string = REPO_ROOT): string[] {
  const found = ['README.md'];
  for (const f of readdirSync(join(root, 'docs')).sort()) if (f.endsWith('.md')) found.push(`docs/${f}`);
  for (const parent of ['packages', 'examples']) {
    for (const d of readdirSync(join(root, parent)).sort()) {
      if (existsSync(join(root, parent, d, 'README.md'))) found.push(`${parent}/${d}/README.md`);
    }
  }
  return found.filter((f) => existsSync(join(root, f)));
}

export function docBlocks(doc: string, root: string = REPO_ROOT): CodeBlock[] {
  return extractBlocks(readFileSync(join(root, doc), 'utf8'), doc);
}
