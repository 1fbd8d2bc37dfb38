// The in-memory registry of docs/connect-mode.md is the one the tests run: the doc's
// `// memory-registry.ts` block and test/memory-registry.ts agree below their imports. Plus what
// only an in-memory registry can promise (no pid liveness: an id is held until unregistered).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MultifrostError } from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryServiceRegistry } from './memory-registry.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/connect-mode.md', import.meta.url)), 'utf8');
const file = readFileSync(fileURLToPath(new URL('./memory-registry.ts', import.meta.url)), 'utf8');

/** The code after the import statements (each may span lines), and, in the file, its header comment. */
function body(code: string): string {
  const lines = code.split('\n');
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!/^import\b/.test(lines[i]!)) continue;
    while (i < lines.length && !/;\s*$/.test(lines[i]!)) i++;
    end = i + 1;
  }
  return lines.slice(end).join('\n').trim();
}

describe('MemoryServiceRegistry', () => {
  it('is the class the docs show', () => {
    const block = /```ts\n\/\/ memory-registry\.ts\n([\s\S]*?)```/.exec(doc);
    expect(block, 'docs/connect-mode.md has a `// memory-registry.ts` block').not.toBeNull();
    expect(body(block![1]!)).toBe(body(file));
    expect(body(file)).toContain('export class MemoryServiceRegistry implements ServiceRegistry');
  });

  it('holds an id until it is unregistered: a second register fails with ALREADY_REGISTERED, also one that raced it through bind', async () => {
    const r = new MemoryServiceRegistry();
    const lease = await r.register('svc', async () => 'tcp://127.0.0.1:1');
    const again = (await r
      .register('svc', async () => 'tcp://127.0.0.1:2')
      .catch((e: unknown) => e)) as MultifrostError;
    expect(again.code).toBe('ALREADY_REGISTERED');
    await r.unregister(lease);
    let release!: () => void;
    const slow = r.register('race', () => new Promise<string>((res) => (release = () => res('tcp://127.0.0.1:3'))));
    await r.register('race', async () => 'tcp://127.0.0.1:4');
    release();
    expect(((await slow.catch((e: unknown) => e)) as MultifrostError).code).toBe('ALREADY_REGISTERED');
    expect((await r.lookup('race'))?.endpoint).toBe('tcp://127.0.0.1:4');
  });

  it('hands out copies: changing an entry it returned changes nothing registered', async () => {
    const r = new MemoryServiceRegistry();
    const lease = await r.register('svc', async () => 'tcp://127.0.0.1:1');
    lease.entry.endpoint = 'tcp://evil:1';
    (await r.lookup('svc'))!.endpoint = 'tcp://evil:2';
    (await r.list())[0]!.endpoint = 'tcp://evil:3';
    expect((await r.discover('svc', { timeoutMs: 0 })).endpoint).toBe('tcp://127.0.0.1:1');
  });
});
