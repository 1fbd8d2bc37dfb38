/**
 * Source comments and docs point at sections of docs/protocol.md (the spec in the repository).
 * This keeps every such link pointing at a heading that exists, and no comment citing the old
 * out-of-repo "PROTOCOL.md §N".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const protocolDoc = path.join(root, 'docs/protocol.md');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) filesUnder(full, out);
    else if (/\.(ts|mts|mjs|md)$/.test(name)) out.push(full);
  }
  return out;
}

const sources = [
  ...readdirSync(path.join(root, 'packages')).flatMap((p) => {
    const src = path.join(root, 'packages', p, 'src');
    try {
      return filesUnder(src);
    } catch {
      return [];
    }
  }),
  ...filesUnder(path.join(root, 'docs')),
];

describe('links to docs/protocol.md', () => {
  const anchors = new Set(
    readFileSync(protocolDoc, 'utf8')
      .split('\n')
      .filter((l) => /^#{2,3} /.test(l))
      .map((l) => anchorOf(l.replace(/^#+ /, ''))),
  );

  it('has the sections the code refers to', () => {
    for (const a of [
      'transport-and-frames',
      'payload',
      'message-types',
      'values',
      'heartbeat-and-liveness',
      'spawn-mode',
      'connect-mode-and-the-registry',
      'errors',
      'extensions',
      'choices-and-clarifications',
    ]) {
      expect(anchors, a).toContain(a);
    }
  });

  it('every #anchor used in sources and docs exists', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|[(/\s])protocol\.md#([\w-]+)/gm)) {
        checked++;
        if (!anchors.has(m[1]!)) broken.push(`${path.relative(root, file)}: #${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
    // The protocol package alone links a dozen sections: finding none means the scan is broken.
    expect(checked).toBeGreaterThan(10);
  });

  it('nothing in protocol, registry or the docs still cites PROTOCOL.md §N', () => {
    const stale = sources
      .filter((f) => /packages\/(protocol|registry|reliability|bench)\/|\/docs\//.test(f))
      .filter((f) => /PROTOCOL\.md/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(root, f));
    expect(stale).toEqual([]);
  });
});
