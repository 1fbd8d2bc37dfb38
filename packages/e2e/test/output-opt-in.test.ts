/**
 * Connect mode: a service's console output goes only to parents that asked for it. Strangers are
 * raw zeromq DEALERs that speak the wire protocol by hand, as a hostile local process would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { APP_V3, APP_V4, OUTPUT_OPT_IN_KEY } from '@multifrost/protocol';
import { FileServiceRegistry, ParentWorker } from 'multifrost';
import { pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import type { OutputService } from './fixtures/output-service.js';
import { fixture, tempHome, waitFor } from './helpers/workers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function startService(serviceId: string, home: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', tsx, fixture('output-service.ts')], {
    env: { ...process.env, MF_SERVICE_ID: serviceId, MULTIFROST_HOME: home, COMLINK_ZMQ_PORT: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready on port')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  return proc;
}

interface Received {
  app: string;
  type: string;
  output?: string;
  id: string;
}

/** A hand-made peer: a DEALER that records everything the service sends it. */
class RawPeer {
  readonly socket = new Dealer({ linger: 0 });
  readonly received: Received[] = [];

  constructor(
    endpoint: string,
    private readonly app: string,
  ) {
    this.socket.connect(endpoint);
    void this.read();
  }

  heartbeat(metadata: Record<string, unknown> = {}): Promise<void> {
    const now = Date.now() / 1000;
    const msg = {
      app: this.app,
      id: crypto.randomUUID(),
      type: 'heartbeat',
      timestamp: now,
      metadata: { hb_timestamp: now, ...metadata },
    };
    return this.socket.send([Buffer.alloc(0), pack(msg)]);
  }

  lines(): string[] {
    return this.received.filter((m) => m.type === 'stdout').map((m) => m.output!);
  }

  heartbeatReplies(): number {
    return this.received.filter((m) => m.type === 'heartbeat').length;
  }

  close(): void {
    this.socket.close();
  }

  private async read(): Promise<void> {
    try {
      for await (const frames of this.socket) this.received.push(unpack(frames[frames.length - 1]!) as Received);
    } catch {
      // closed
    }
  }
}

async function setup(serviceId: string) {
  const { home, cleanup: rm } = tempHome();
  cleanup.push(rm);
  await startService(serviceId, home);
  const registry = new FileServiceRegistry({ home });
  const entry = await registry.lookup(serviceId);
  expect(entry).toBeDefined();
  const raw = (app: string) => {
    const peer = new RawPeer(entry!.endpoint, app);
    cleanup.push(() => peer.close());
    return peer;
  };
  return { registry, raw };
}

describe('output forwarding in connect mode', () => {
  it('a real parent gets all its lines; 40 strangers that only heartbeat get none and do not push it out', async () => {
    const { registry, raw } = await setup('speaker');
    const lines: string[] = [];
    const parent = await ParentWorker.connect<OutputService>('speaker', {
      registry,
      output: (line, stream) => lines.push(`${stream}:${line}`),
    });
    cleanup.push(() => parent.close());

    const strangers = Array.from({ length: 40 }, () => raw(APP_V3));
    await Promise.all(strangers.map((s) => s.heartbeat()));
    // Each stranger was heard: the service answered its heartbeat.
    await waitFor(() => strangers.every((s) => s.heartbeatReplies() >= 1), 5_000, 'heartbeat replies to strangers');

    expect(await parent.call.speak('real', 10)).toBe(10);
    const expected = Array.from({ length: 10 }, (_, i) => `stdout:real line ${i}`);
    await waitFor(() => lines.length >= 10, 5_000, 'the parent to receive 10 lines');
    expect(lines).toEqual(expected);

    // Lines still reaching anyone would be in flight behind the call's own reply; one more round
    // trip per stranger makes sure nothing was still on its way.
    await Promise.all(strangers.map((s) => s.heartbeat()));
    await waitFor(() => strangers.every((s) => s.heartbeatReplies() >= 2), 5_000, 'second heartbeat replies');
    expect(strangers.map((s) => s.lines().length)).toEqual(strangers.map(() => 0));
  });

  it('a peer that opts in receives the output, in the app id it spoke (v4 here), and stops after opting out', async () => {
    const { registry, raw } = await setup('speaker4');
    const v4 = raw(APP_V4);
    const v3 = raw(APP_V3);
    await v4.heartbeat({ [OUTPUT_OPT_IN_KEY]: true });
    await v3.heartbeat({ [OUTPUT_OPT_IN_KEY]: true });
    await waitFor(() => v4.heartbeatReplies() >= 1 && v3.heartbeatReplies() >= 1, 5_000, 'heartbeat replies');

    const parent = await ParentWorker.connect<OutputService>('speaker4', {
      registry,
      protocol: 'v4',
      output: 'ignore',
    });
    cleanup.push(() => parent.close());
    await parent.call.speak('x', 3);
    await waitFor(() => v4.lines().length >= 3 && v3.lines().length >= 3, 5_000, 'output to the subscribed peers');
    expect(v4.lines()).toEqual(['x line 0', 'x line 1', 'x line 2']);
    expect(v4.received.filter((m) => m.type === 'stdout').every((m) => m.app === APP_V4)).toBe(true);
    expect(v3.received.filter((m) => m.type === 'stdout').every((m) => m.app === APP_V3)).toBe(true);

    await v4.heartbeat({ [OUTPUT_OPT_IN_KEY]: false });
    await waitFor(() => v4.heartbeatReplies() >= 2, 5_000, 'opt-out acknowledged');
    await parent.call.speak('y', 2);
    await waitFor(() => v3.lines().length >= 5, 5_000, 'later output to the v3 peer');
    await v4.heartbeat();
    await waitFor(() => v4.heartbeatReplies() >= 3, 5_000, 'a last round trip to the v4 peer');
    expect(v4.lines()).toEqual(['x line 0', 'x line 1', 'x line 2']);
  });

  it("a v4 ParentWorker gets the service's output, and one with output 'ignore' is not sent any", async () => {
    const { registry } = await setup('speaker-v4');
    const lines: string[] = [];
    const v4 = await ParentWorker.connect<OutputService>('speaker-v4', {
      registry,
      protocol: 'v4',
      output: (line) => lines.push(line),
    });
    cleanup.push(() => v4.close());
    // The ignoring parent's traffic is watched from its side through the stdout event, which
    // fires for every forwarded line whatever the output option says.
    const ignored: string[] = [];
    const silent = await ParentWorker.connect<OutputService>('speaker-v4', { registry, output: 'ignore' });
    cleanup.push(() => silent.close());
    silent.on('stdout', (line) => ignored.push(line));

    await v4.call.speak('four', 4);
    await waitFor(() => lines.length >= 4, 5_000, 'the v4 parent to receive 4 lines');
    expect(lines).toEqual(['four line 0', 'four line 1', 'four line 2', 'four line 3']);
    await silent.call.speak('quiet', 2);
    await waitFor(() => lines.length >= 6, 5_000, 'the v4 parent to receive the silent call output');
    expect(ignored).toEqual([]);
  });
});
