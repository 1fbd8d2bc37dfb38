import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, tempHome } from './helpers/workers.js';

const require = createRequire(import.meta.url);
const cli = path.join(path.dirname(require.resolve('multifrost/package.json')), 'dist', 'cli.js');
const tsx = pathToFileURL(require.resolve('tsx')).href;
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function run(args: string[], home: string) {
  return spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, MULTIFROST_HOME: home }, encoding: 'utf8', timeout: 20_000 });
}

describe('the multifrost command', () => {
  it('lists services, shows their functions and calls them', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const service = spawn(process.execPath, ['--import', tsx, fixture('math-worker.ts')], {
      env: { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'calc' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanup.push(() => void service.kill('SIGKILL'));
    await new Promise<void>((resolve) => service.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    const list = run(['list'], home);
    expect(list.stdout).toMatch(new RegExp(`^calc\\tport \\d+\\tpid ${service.pid}\\t`));
    const fns = run(['functions', 'calc'], home);
    expect(JSON.parse(fns.stdout)).toContain('add');
    const call = run(['call', 'calc', 'add', '40', '2'], home);
    expect(call.status).toBe(0);
    expect(call.stdout.trim()).toBe('42');
    const missing = run(['call', 'nope', 'add'], home);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/SERVICE_NOT_FOUND: Service 'nope' not found/);
    expect(run([], home).status).toBe(2);
  });
});
