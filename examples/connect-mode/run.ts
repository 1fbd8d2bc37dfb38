// One command for the whole example: starts the service as its own process, runs the client
// against it, then stops the service with SIGTERM (it unregisters itself) and checks it is gone.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Keep the example's registry private unless the user points MULTIFROST_HOME somewhere.
const home = process.env.MULTIFROST_HOME ?? mkdtempSync(path.join(tmpdir(), 'multifrost-example-'));
const env = { ...process.env, MULTIFROST_HOME: home, SERVICE_ID: `greeter-${process.pid}` };
const tsx = ['--import', 'tsx'];

const service = spawn(process.execPath, [...tsx, path.join(here, 'service.ts')], { env, stdio: 'inherit', cwd: here });
try {
  const client = spawn(process.execPath, [...tsx, path.join(here, 'client.ts')], { env, stdio: 'inherit', cwd: here });
  const code = await new Promise<number | null>((resolve) => client.on('exit', resolve));
  if (code !== 0) throw new Error(`client exited with code ${code}`);
} finally {
  service.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => service.on('exit', resolve));
  const registry = JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8')) as Record<string, unknown>;
  console.log(`service exited with code ${code}; still registered: ${env.SERVICE_ID in registry}`);
  if (!process.env.MULTIFROST_HOME) rmSync(home, { recursive: true, force: true });
  if (code !== 0 || env.SERVICE_ID in registry) process.exitCode = 1;
}
