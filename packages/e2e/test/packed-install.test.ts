// What an npm user gets: the six public packages packed with `pnpm pack` (workspace: ranges become
// versions), installed with npm into a project outside the workspace, and run from there — a
// parent and children importing only `multifrost`, a child on `@multifrost/child`, require() from
// CommonJS, and a Python worker whose module was pip-installed from node_modules/multifrost/python.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonBin } from '../../../scripts/python-bin.mjs';

const packagesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PUBLIC = ['protocol', 'transport-zmq', 'registry', 'registry-redis', 'parent', 'child', 'multifrost'];
const tarballName = (name: string) => `${name.replace(/^@/, '').replace('/', '-')}-`;

let root: string;
let app: string;
const tarballs = new Map<string, string>(); // package dir name → tarball path

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const run = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  if (run.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}
const node = (file: string, env?: NodeJS.ProcessEnv) => sh(process.execPath, [file], app, env).trim();
/** A tarball as seen from the app folder (npm compares an override and a direct dependency as written). */
const relTarball = (dir: string) => path.relative(app, tarballs.get(dir)!);
const manifest = (dir: string) =>
  JSON.parse(readFileSync(path.join(packagesDir, dir, 'package.json'), 'utf8')) as { name: string; version: string };

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mf-packed-'));
  const packs = path.join(root, 'tarballs');
  mkdirSync(packs);
  for (const dir of PUBLIC) {
    sh('pnpm', ['pack', '--pack-destination', packs], path.join(packagesDir, dir));
    const { name, version } = manifest(dir);
    const file = readdirSync(packs).find((f) => f === `${tarballName(name)}${version}.tgz`);
    if (!file) throw new Error(`pnpm pack made no tarball for ${name} in ${packs}: ${readdirSync(packs).join(', ')}`);
    tarballs.set(dir, path.join(packs, file));
  }
  app = path.join(root, 'app');
  mkdirSync(app);
  // The app depends on `multifrost` only; overrides point its @multifrost/* dependencies (not on
  // the registry) at the tarballs, as the registry would serve them.
  const overrides = Object.fromEntries(
    PUBLIC.filter((d) => d !== 'multifrost').map((d) => [manifest(d).name, `file:${relTarball(d)}`]),
  );
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'packed-app',
        private: true,
        type: 'module',
        dependencies: { multifrost: `file:${relTarball('multifrost')}` },
        overrides,
      },
      null,
      2,
    ),
  );
  sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);
}, 300_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the packed tarballs', () => {
  it.each(PUBLIC)(
    '%s holds package.json, LICENSE, its README (if any) and dist, and no src, test or workspace: ranges',
    (dir) => {
      const entries = execFileSync('tar', ['-tzf', tarballs.get(dir)!], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
      for (const f of [
        'package/package.json',
        'package/LICENSE',
        'package/dist/index.js',
        'package/dist/index.cjs',
        'package/dist/index.d.ts',
        'package/dist/index.d.cts',
      ]) {
        expect(entries, f).toContain(f);
      }
      if (existsSync(path.join(packagesDir, dir, 'README.md'))) expect(entries).toContain('package/README.md');
      expect(entries.filter((e) => /^package\/(src|test)\//.test(e) || e.includes('__pycache__'))).toEqual([]);
      const packed = execFileSync('tar', ['-xzOf', tarballs.get(dir)!, 'package/package.json'], { encoding: 'utf8' });
      expect(packed).not.toContain('workspace:');
      expect(JSON.parse(packed).repository).toMatchObject({
        url: expect.stringContaining('github.com/multifrost/multifrost-ts'),
        directory: `packages/${dir}`,
      });
    },
  );
});

describe('an npm project outside the workspace', () => {
  it('lists only multifrost as its dependency', () => {
    expect(Object.keys(JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')).dependencies)).toEqual([
      'multifrost',
    ]);
    expect(existsSync(path.join(app, 'node_modules', 'multifrost', 'dist', 'index.js'))).toBe(true);
  });

  it('runs a parent that spawns a plain .mjs child importing ChildWorker from multifrost', () => {
    writeFileSync(
      path.join(app, 'child.mjs'),
      `import { ChildWorker } from 'multifrost';
class MathWorker extends ChildWorker {
  add(a, b) { return a + b; }
  async shout(s) { return s.toUpperCase(); }
}
new MathWorker().run();
`,
    );
    writeFileSync(
      path.join(app, 'parent.mjs'),
      `import { ParentWorker, RemoteCallError } from 'multifrost';
const worker = await ParentWorker.spawn(process.argv[2] ?? './child.mjs', { output: 'ignore' });
try {
  console.log(JSON.stringify({ add: await worker.call.add(40, 2), shout: await worker.call.shout('hi'), remoteError: RemoteCallError.name }));
} finally {
  await worker.close();
}
`,
    );
    expect(JSON.parse(node('parent.mjs'))).toEqual({ add: 42, shout: 'HI', remoteError: 'RemoteCallError' });
  });

  it('runs a child written on @multifrost/child once the app installs it', () => {
    // The same spec as the override, which npm requires of a direct dependency it also overrides.
    sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', relTarball('child')], app);
    expect(Object.keys(JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')).dependencies).sort()).toEqual([
      '@multifrost/child',
      'multifrost',
    ]);
    writeFileSync(
      path.join(app, 'light-child.mjs'),
      `import { ChildWorker } from '@multifrost/child';
class Light extends ChildWorker { add(a, b) { return a + b; } async shout(s) { return s + '!'; } }
new Light().run();
`,
    );
    expect(JSON.parse(sh(process.execPath, ['parent.mjs', './light-child.mjs'], app))).toEqual({
      add: 42,
      shout: 'hi!',
      remoteError: 'RemoteCallError',
    });
  });

  it('loads from CommonJS with require()', () => {
    writeFileSync(
      path.join(app, 'check.cjs'),
      `const m = require('multifrost');
const c = require('@multifrost/child');
console.log(JSON.stringify([typeof m.ParentWorker, typeof m.ChildWorker, typeof m.isMultifrostError, m.ChildWorker === c.ChildWorker]));
`,
    );
    expect(JSON.parse(node('check.cjs'))).toEqual(['function', 'function', 'function', true]);
  });

  it('pip-installs the Python worker module from node_modules/multifrost/python and spawns a Python worker', () => {
    const venv = path.join(root, 'venv');
    sh(pythonBin(), ['-m', 'venv', venv], root);
    const python = path.join(venv, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
    sh(
      python,
      ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-input', './node_modules/multifrost/python'],
      app,
    );
    writeFileSync(
      path.join(app, 'model.py'),
      `import asyncio
from multifrost_worker import ChildWorker

class Model(ChildWorker):
    def add(self, a, b):
        return a + b

    async def shout(self, s):
        await asyncio.sleep(0)
        return s.upper() + "?"

if __name__ == "__main__":
    Model().run()
`,
    );
    const out = sh(process.execPath, ['parent.mjs', './model.py'], app, { ...process.env, PYTHON_BIN: python });
    expect(JSON.parse(out.trim())).toEqual({ add: 42, shout: 'HI?', remoteError: 'RemoteCallError' });
  });
});
