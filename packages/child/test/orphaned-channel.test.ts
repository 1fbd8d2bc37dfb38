// What a worker removes when its parent died without closing: only `<dir>/multifrost-XXXXXX/w.sock`
// and that folder, and never a folder that holds anything else.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeOrphanedChannel } from '../src/orphaned-channel.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function channel(dirName: string, extra?: string): { dir: string; socket: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'mf-orphan-test-'));
  roots.push(root);
  const dir = path.join(root, dirName);
  mkdirSync(dir);
  const socket = path.join(dir, 'w.sock');
  writeFileSync(socket, '');
  if (extra) writeFileSync(path.join(dir, extra), 'keep');
  return { dir, socket };
}

describe('removeOrphanedChannel', () => {
  it('removes the private channel socket and its folder', () => {
    const { dir, socket } = channel('multifrost-Ab12Cd');
    removeOrphanedChannel(`ipc://${socket}`);
    expect(existsSync(dir)).toBe(false);
  });

  it('leaves a folder that holds anything besides the socket', () => {
    const { dir } = channel('multifrost-Ab12Cd', 'other.txt');
    removeOrphanedChannel(`ipc://${path.join(dir, 'w.sock')}`);
    expect(existsSync(path.join(dir, 'other.txt'))).toBe(true);
    expect(existsSync(dir)).toBe(true);
  });

  it('touches nothing that is not the private channel shape', () => {
    const other = channel('my-service');
    removeOrphanedChannel(`ipc://${other.socket}`);
    expect(existsSync(other.socket)).toBe(true);
    const named = channel('multifrost-Ab12Cd');
    removeOrphanedChannel(`ipc://${path.join(named.dir, 'x.sock')}`);
    removeOrphanedChannel(`tcp://127.0.0.1:5555`);
    removeOrphanedChannel(undefined);
    expect(existsSync(named.socket)).toBe(true);
  });
});
