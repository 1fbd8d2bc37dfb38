/**
 * A real worker process in spawn mode, reached over an `ipc://` endpoint handed over in
 * MULTIFROST_ENDPOINT: the test plays the parent with a bare ZeroMQ caller transport, so what is
 * checked is the worker's own behaviour on the wire (the endpoint it connects to, the app id of its
 * replies, `shutdown`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_V4, createCall, createShutdown, type Message } from '@multifrost/protocol';
import { zmqTransport, type CallerTransport } from '@multifrost/transport-zmq';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, waitFor } from './helpers/workers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

describe('spawn mode over MULTIFROST_ENDPOINT', () => {
  it('connects to the endpoint given (not the port), answers in the caller app id, and obeys shutdown', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mf-child-ep-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const parent: CallerTransport = zmqTransport().caller();
    cleanup.push(() => parent.close());
    const inbox: Message[] = [];
    parent.onMessage = (m) => inbox.push(m);
    const endpoint = await parent.bind(`ipc://${path.join(dir, 'worker.sock')}`);
    expect(endpoint.startsWith('ipc://')).toBe(true);

    const proc = spawn(process.execPath, ['--import', tsx, fixture('math-worker.ts')], {
      // The port points nowhere: a worker that still used it would never answer.
      env: {
        ...process.env,
        COMLINK_ZMQ_PORT: '1024',
        MULTIFROST_ENDPOINT: endpoint,
        MULTIFROST_PARENT_PID: String(process.pid),
        MULTIFROST_HOME: dir,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    cleanup.push(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      return exited(proc).then(() => undefined);
    });

    const call = createCall({ function: 'add', args: [2, 3], app: APP_V4 });
    await parent.send(call);
    await waitFor(() => inbox.some((m) => m.id === call.id), 20_000, 'the reply over ipc://');
    expect(inbox.find((m) => m.id === call.id)).toMatchObject({ type: 'response', app: APP_V4, result: 5 });

    await parent.send(createShutdown(APP_V4));
    expect(await exited(proc)).toBe(0);
  });
});
