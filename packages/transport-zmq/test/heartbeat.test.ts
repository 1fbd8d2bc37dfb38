/**
 * ZMTP heartbeats (answered by libzmq's I/O thread, not by JavaScript): a peer whose process is
 * frozen stops answering PINGs and is disconnected after zmtpHeartbeatTimeoutMs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { zmqTransport } from '../src/index.js';
import { track, waitUntil } from './helpers.js';

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

describe('ZMTP heartbeats', () => {
  it('a frozen peer (SIGSTOP) is dropped after the heartbeat timeout', { timeout: 40_000 }, async () => {
    const service = track(zmqTransport({ zmtpHeartbeatIntervalMs: 100, zmtpHeartbeatTimeoutMs: 400 }).service());
    const endpoint = await service.bind();
    // A raw DEALER in another process, with no heartbeats of its own: libzmq still answers PINGs.
    const script = `import { Dealer } from 'zeromq'; const d = new Dealer({ linger: 0 }); d.connect('${endpoint}'); setInterval(() => {}, 1000);`;
    // cwd: this package, where `zeromq` resolves (the suite may run from the repo root).
    child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: 'ignore',
    });
    await waitUntil(() => service.connectedPeers === 1, 20_000); // a loaded CI machine starts node slowly
    await new Promise((r) => setTimeout(r, 300)); // a few PING/PONG rounds while it is alive
    expect(service.connectedPeers).toBe(1);
    const t0 = Date.now();
    child.kill('SIGSTOP');
    await waitUntil(() => service.connectedPeers === 0, 10_000);
    // Not before the heartbeat timeout: the drop comes from missed PONGs, not from anything else.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });
});
