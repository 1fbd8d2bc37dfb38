/**
 * The README's main example runs as written: its `worker.ts`, `app.ts` and `cancel.ts` blocks are
 * copied into a fresh `"type": "module"` project whose node_modules holds only `multifrost` (what
 * the README's install line gives a user), and `tsx app.ts` / `tsx cancel.ts` print what the
 * README says they print.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeBlock } from '../src/code-blocks.js';
import { docBlocks } from '../src/doc-files.js';
import { createProject, writeBlocks } from '../src/snippet-project.js';

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

const readme = docBlocks('README.md');
function named(name: string): CodeBlock {
  const block = readme.find((b) => b.fileName === name);
  if (!block) throw new Error(`README.md has no \`// ${name}\` block`);
  return block;
}

/** What a block says it prints: its `console.log(...)` lines' trailing `// <output>` comments. */
function promisedOutput(block: CodeBlock): string[] {
  return [...block.code.matchAll(/console\.log\(.*\);\s*\/\/\s*(\S+)/g)].map((m) => m[1]!);
}

let root = '';
let home = '';

beforeAll(() => {
  root = createProject('mf-readme-', ['multifrost']);
  home = join(root, 'multifrost-home');
  mkdirSync(home);
  writeBlocks(root, [named('worker.ts'), named('app.ts'), named('cancel.ts')]);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

async function tsx(script: string): Promise<string> {
  const { stdout } = await run(process.execPath, [tsxCli, script], {
    cwd: root,
    env: { ...process.env, MULTIFROST_HOME: home, DEBUG: '' },
    timeout: 90_000,
  });
  return stdout;
}

describe('README main example', () => {
  it('app.ts prints what the README says (3)', async () => {
    const expected = promisedOutput(named('app.ts'));
    expect(expected).toEqual(['3']);
    expect((await tsx('app.ts')).trim().split('\n')).toEqual(expected);
  });

  it('cancel.ts prints what the README says (ABORTED)', async () => {
    const expected = promisedOutput(named('cancel.ts'));
    expect(expected).toEqual(['ABORTED']);
    expect((await tsx('cancel.ts')).trim().split('\n')).toEqual(expected);
  });
});
