// The one place that decides which Python the tests, examples and benchmarks run: $PYTHON_BIN if
// set, else the project's .venv (made by `npm run setup`, with multifrost-worker installed). Never a
// bare python3, which would fail later and less clearly with "No module named 'zmq'".
// Run as `node scripts/python-bin.mjs <command...>` it starts the command with PYTHON_BIN set.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const venvDir = path.join(repoRoot, '.venv');
export const venvPython =
  process.platform === 'win32' ? path.join(venvDir, 'Scripts', 'python.exe') : path.join(venvDir, 'bin', 'python');

/** The Python interpreter to use; throws with what to run when there is none. */
export function pythonBin() {
  if (process.env.PYTHON_BIN) return process.env.PYTHON_BIN;
  if (existsSync(venvPython)) return venvPython;
  throw new Error(
    `No Python for Multifrost: ${venvPython} does not exist. Run \`npm run setup\` (it creates .venv with the ` +
      'multifrost-worker Python module), or set PYTHON_BIN to a Python that has multifrost-worker installed.',
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.log(pythonBin());
  } else {
    let python;
    try {
      python = pythonBin();
    } catch (err) {
      console.error(err.message);
      process.exit(1);
    }
    const run = spawnSync(command, args, {
      stdio: 'inherit',
      env: { ...process.env, PYTHON_BIN: python },
      shell: process.platform === 'win32',
    });
    process.exit(run.status ?? 1);
  }
}
