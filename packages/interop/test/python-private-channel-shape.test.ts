/**
 * What the Python worker's orphaned-channel cleanup may remove: only a socket named w.sock in a
 * multifrost-XXXXXX folder directly in the temp dir, and that folder only when nothing else is in
 * it. Run on the installed multifrost_worker with real files and a real Unix socket.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PYTHON } from './helpers.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A folder like the parent's channel folder, holding a real Unix socket named `socket`. */
function channelFolder(parent: string, name: string, socket = 'w.sock'): string {
  const dir = name ? path.join(parent, name) : mkdtempSync(path.join(parent, 'multifrost-'));
  if (name) mkdirSync(dir, { mode: 0o700 });
  made.push(dir);
  const run = spawnSync(PYTHON, [
    '-c',
    'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
    path.join(dir, socket),
  ]);
  expect(run.status, String(run.stderr)).toBe(0);
  return dir;
}

/** Calls remove_orphaned_channel on each endpoint, as the worker does when its parent is gone. */
function cleanUp(...endpoints: string[]): void {
  const run = spawnSync(
    PYTHON,
    [
      '-c',
      'import sys\nfrom multifrost_worker.private_channel import remove_orphaned_channel\nfor e in sys.argv[1:]: remove_orphaned_channel(e)',
      ...endpoints,
    ],
    { encoding: 'utf8', env: { ...process.env, TMPDIR: tmpdir() } },
  );
  expect(run.status, run.stderr).toBe(0);
}

describe('the Python worker removes only its parent channel folder', () => {
  it('removes w.sock and its multifrost-XXXXXX folder in the temp dir', () => {
    const dir = channelFolder(tmpdir(), '');
    cleanUp(`ipc://${path.join(dir, 'w.sock')}`);
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps a folder holding anything else, and the other file in it', () => {
    const dir = channelFolder(tmpdir(), '');
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    cleanUp(`ipc://${path.join(dir, 'w.sock')}`);
    expect(existsSync(path.join(dir, 'notes.txt'))).toBe(true);
  });

  it('touches nothing of another shape: other names, a regular file, a folder outside the temp dir, tcp', () => {
    const wrongName = channelFolder(tmpdir(), `mf-other-${process.pid}`);
    const wrongSocket = channelFolder(tmpdir(), '', 'x.sock');
    const plainFile = mkdtempSync(path.join(tmpdir(), 'multifrost-'));
    made.push(plainFile);
    writeFileSync(path.join(plainFile, 'w.sock'), 'not a socket');
    const outside = mkdtempSync(path.join(tmpdir(), 'mf-outside-'));
    made.push(outside);
    const nested = channelFolder(outside, 'multifrost-abc123');
    cleanUp(
      `ipc://${path.join(wrongName, 'w.sock')}`,
      `ipc://${path.join(wrongSocket, 'x.sock')}`,
      `ipc://${path.join(plainFile, 'w.sock')}`,
      `ipc://${path.join(nested, 'w.sock')}`,
      'tcp://127.0.0.1:45000',
    );
    expect(existsSync(path.join(wrongName, 'w.sock'))).toBe(true);
    expect(existsSync(path.join(wrongSocket, 'x.sock'))).toBe(true);
    expect(existsSync(path.join(plainFile, 'w.sock'))).toBe(true);
    expect(existsSync(path.join(nested, 'w.sock'))).toBe(true);
  });
});
