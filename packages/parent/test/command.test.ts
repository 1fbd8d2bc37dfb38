import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCommand } from '../src/command.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mf-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveCommand', () => {
  it('runs .ts through this Node with an absolute tsx loader URL', () => {
    const cmd = resolveCommand('w.ts', undefined, ['--x'], dir);
    expect(cmd.file).toBe(process.execPath);
    expect(cmd.args[0]).toBe('--import');
    expect(cmd.args[1]).toMatch(/^file:\/\/.*tsx/);
    expect(cmd.args.slice(2)).toEqual([path.join(dir, 'w.ts'), '--x']);
  });

  it('runs .js/.mjs/.cjs with this Node and .py with PYTHON_BIN, else MULTIFROST_PYTHON, else python3', () => {
    for (const ext of ['.js', '.mjs', '.cjs'])
      expect(resolveCommand(`w${ext}`, undefined, [], dir).file).toBe(process.execPath);
    const before = { PYTHON_BIN: process.env.PYTHON_BIN, MULTIFROST_PYTHON: process.env.MULTIFROST_PYTHON };
    delete process.env.PYTHON_BIN;
    delete process.env.MULTIFROST_PYTHON;
    try {
      expect(resolveCommand('m.py', undefined, [], dir)).toEqual({ file: 'python3', args: [path.join(dir, 'm.py')] });
      process.env.MULTIFROST_PYTHON = '/usr/bin/python3';
      expect(resolveCommand('m.py', undefined, [], dir).file).toBe('/usr/bin/python3');
      process.env.PYTHON_BIN = '/opt/venv/bin/python';
      expect(resolveCommand('m.py', undefined, [], dir).file).toBe('/opt/venv/bin/python');
    } finally {
      for (const [k, v] of Object.entries(before)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('finds a bare executable in node_modules/.bin before PATH', () => {
    const bin = path.join(dir, 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'mytool'), '#!/bin/sh\n');
    chmodSync(path.join(bin, 'mytool'), 0o755);
    const sub = path.join(dir, 'sub');
    mkdirSync(sub, { recursive: true });
    expect(resolveCommand('svc.ts', 'mytool', [], sub).file).toBe(path.join(bin, 'mytool'));
    expect(resolveCommand('svc.ts', 'not-there-xyz', [], sub).file).toBe('not-there-xyz');
  });

  it('never builds a shell command line: a path with spaces and quotes stays one argument', () => {
    const cmd = resolveCommand("my 'worker'; rm -rf x.js", undefined, [], dir);
    expect(cmd.args).toEqual([path.join(dir, "my 'worker'; rm -rf x.js")]);
  });

  it('refuses an unknown extension with a clear error', () => {
    expect(() => resolveCommand('worker.rb', undefined, [], dir)).toThrow(
      /Cannot tell how to run 'worker.rb'.*executable/,
    );
  });
});
