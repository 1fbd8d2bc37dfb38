// `npm run setup`: everything a fresh clone needs, then the main example. Needs only Node ≥ 20.19,
// npm and python3 (with venv). Safe to re-run: each step is skipped or quick when already done.
//   1. pnpm 12.4.2 (npm i -g) · 2. pnpm install --frozen-lockfile · 3. pnpm build
//   4. .venv with the multifrost-worker Python module (packages/multifrost/python) and its deps,
//      the Redis client (redis-py) included · 4b. redis-server for the Redis registry's tests (Debian, as root)
//   5. pnpm example            (--no-example skips it)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, venvDir, venvPython } from './python-bin.mjs';

const PNPM = '12.4.2';
// The Python Redis client the Redis registry's tests use (the module's `redis` extra says only >=4.2).
const PY_REDIS = 'redis==8.1.0';
const pythonModule = path.join(repoRoot, 'packages', 'multifrost', 'python');
const stamp = path.join(venvDir, '.multifrost-worker.sha256');
const win = process.platform === 'win32';

const step = (text) => console.log(`\n== setup: ${text}`);
function fail(text) {
  console.error(`\nsetup failed: ${text}`);
  process.exit(1);
}
function run(cmd, args, { quiet = false } = {}) {
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8', shell: win });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim(), error: r.error };
}
function must(cmd, args) {
  if (!run(cmd, args).ok) fail(`\`${[cmd, ...args].join(' ')}\` failed (see above)`);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19))
  fail(`Node ${process.versions.node} is too old: Multifrost needs Node ≥ 20.19.`);

step(`pnpm ${PNPM}`);
if (run('pnpm', ['--version'], { quiet: true }).out !== PNPM) {
  if (!run('npm', ['i', '-g', `pnpm@${PNPM}`, '--no-audit', '--no-fund']).ok) {
    fail(
      `could not install pnpm ${PNPM} with \`npm i -g pnpm@${PNPM}\` (if npm's global folder needs root, run that once with sudo, or set npm's prefix to a folder you own).`,
    );
  }
} else console.log(`pnpm ${PNPM} already installed`);

step('pnpm install --frozen-lockfile');
must('pnpm', ['install', '--frozen-lockfile']);
step('pnpm build');
must('pnpm', ['build']);

step('Python: .venv with multifrost-worker');
setUpPython();

step('redis-server (the Redis registry tests)');
setUpRedisServer();

step('ip (the multi-host tests on network namespaces)');
setUpIproute();

if (!process.argv.includes('--no-example')) {
  step('pnpm example');
  must('pnpm', ['example']);
}
console.log('\nsetup done. Next: pnpm test');

function setUpPython() {
  const python = findPython();
  if (!venvWorks()) {
    rmSync(venvDir, { recursive: true, force: true });
    console.log(`creating .venv from ${python.join(' ')}`);
    const made = run(python[0], [...python.slice(1), '-m', 'venv', venvDir], { quiet: true });
    if (!made.ok || !venvWorks()) {
      rmSync(venvDir, { recursive: true, force: true });
      fail(
        `\`${python.join(' ')} -m venv .venv\` failed:\n${made.err || made.out}\n` +
          "Install Python's venv module (Debian/Ubuntu: `apt install python3-venv`; Fedora: included in python3), then re-run `npm run setup`.",
      );
    }
  }
  const hash = sourceHash();
  const current = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  if (
    current === hash &&
    run(venvPython, ['-c', 'import multifrost_worker, zmq, msgpack, psutil, redis'], { quiet: true }).ok
  ) {
    console.log('multifrost-worker is installed and up to date');
    return;
  }
  // --force-reinstall: the version number stays the same while the source changes.
  const pip = [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '-q',
    ...(current ? ['--force-reinstall'] : []),
    `${pythonModule}[redis]`,
    PY_REDIS,
  ];
  if (!run(venvPython, pip).ok)
    fail(
      'pip could not install packages/multifrost/python into .venv (it needs PyPI for pyzmq, msgpack, psutil, redis and hatchling).',
    );
  writeFileSync(stamp, `${hash}\n`);
  const versions = run(
    venvPython,
    [
      '-c',
      'import zmq, msgpack, psutil, redis; print("pyzmq", zmq.__version__, "libzmq", zmq.zmq_version(), "msgpack", msgpack.version, "psutil", psutil.__version__, "redis", redis.__version__)',
    ],
    { quiet: true },
  );
  console.log(`installed multifrost-worker (${versions.out})`);
}

/**
 * The Redis registry's tests run a real redis-server (on a port of their own, never 6379), and the
 * multi-host tests build network namespaces with `ip netns` (Debian's iproute2; slim images may lack
 * it). Both are skipped without their program, except under CI, so setup installs what it can:
 * Debian's package, as root.
 */
function setUpRedisServer() {
  ensureDebianProgram({
    program: 'redis-server',
    probe: [['redis-server', '--version']],
    pkg: 'redis-server',
    tests: 'the Redis registry tests',
  });
}

function setUpIproute() {
  ensureDebianProgram({
    program: 'ip',
    probe: [
      ['ip', '-V'],
      ['/usr/sbin/ip', '-V'],
    ],
    pkg: 'iproute2',
    tests: 'the multi-host tests',
  });
}

function ensureDebianProgram({ program, probe, pkg, tests }) {
  if (probe.some(([cmd, ...args]) => run(cmd, args, { quiet: true }).ok)) {
    console.log(`${program} is installed`);
    return;
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !run('apt-get', ['--version'], { quiet: true }).ok) {
    const note = `${program} is not installed (Debian/Ubuntu: apt-get install ${pkg})`;
    if (process.env.CI) fail(`${note}; under CI ${tests} must run.`);
    console.log(`${note}: ${tests} will be skipped.`);
    return;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => spawnSync('apt-get', args, { cwd: repoRoot, stdio: 'inherit', env }).status === 0;
  if (!apt(['update', '-qq']) || !apt(['install', '-y', '-qq', pkg])) {
    fail(`\`apt-get install -y ${pkg}\` failed (see above).`);
  }
}

/** $PYTHON, else python3 (Windows: py -3, python); at least 3.8. */
function findPython() {
  const candidates = process.env.PYTHON ? [[process.env.PYTHON]] : win ? [['py', '-3'], ['python']] : [['python3']];
  for (const c of candidates) {
    const r = run(c[0], [...c.slice(1), '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { quiet: true });
    if (!r.ok) continue;
    const [maj, min] = r.out.split('.').map(Number);
    if (maj === 3 && min >= 8) return c;
    fail(
      `${c.join(' ')} is Python ${r.out}; Multifrost's Python worker needs Python ≥ 3.8 (set $PYTHON to a newer one).`,
    );
  }
  fail(
    `no Python found (tried ${candidates.map((c) => c.join(' ')).join(', ')}). Install Python 3.8+ with its venv module ` +
      '(Debian/Ubuntu: `apt install python3 python3-venv`; macOS: `brew install python`), or set $PYTHON, then re-run `npm run setup`.',
  );
}

function venvWorks() {
  return existsSync(venvPython) && run(venvPython, ['-m', 'pip', '--version'], { quiet: true }).ok;
}

function sourceHash() {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === '__pycache__' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else h.update(`${path.relative(pythonModule, full)}\0`).update(readFileSync(full));
    }
  };
  walk(pythonModule);
  return h.digest('hex');
}
