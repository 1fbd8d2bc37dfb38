/** The subscriber rules of connect-mode output forwarding: who gets a service's console output. */
import {
  APP_V3,
  APP_V4,
  OUTPUT_OPT_IN_KEY,
  createCall,
  createHeartbeat,
  type AppId,
  type Message,
} from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { OutputForwarder } from '../src/output-forwarding.js';

const peer = (n: number) => Buffer.from(`peer-${n}`);

function heartbeat(optIn?: boolean, app: AppId = APP_V3): Message {
  const msg = createHeartbeat(app);
  if (optIn !== undefined) msg.metadata = { ...msg.metadata, [OUTPUT_OPT_IN_KEY]: optIn };
  return msg;
}

function setup(options: { maxSubscribers?: number; idleMs?: number } = {}) {
  const sent: { peer: string; stream: string; text: string; app: string }[] = [];
  let clock = 1_000;
  const forwarder = new OutputForwarder(
    (p, stream, text, app) => sent.push({ peer: p.toString(), stream, text, app }),
    { ...options, now: () => clock },
  );
  return { forwarder, sent, advance: (ms: number) => (clock += ms) };
}

describe('OutputForwarder subscribers', () => {
  it('forwards nothing to a peer that only talks to the service', () => {
    const { forwarder, sent } = setup();
    forwarder.noteMessage(peer(1), heartbeat());
    forwarder.noteMessage(peer(1), createCall({ function: 'f' }));
    forwarder.forward('stdout', 'secret\n');
    expect(sent).toEqual([]);
    expect(forwarder.subscriberCount).toBe(0);
  });

  it('subscribes on a heartbeat or call opt-in and unsubscribes on false', () => {
    const { forwarder, sent } = setup();
    forwarder.noteMessage(peer(1), heartbeat(true));
    forwarder.noteMessage(peer(2), createCall({ function: 'f', metadata: { [OUTPUT_OPT_IN_KEY]: true } }));
    forwarder.forward('stderr', 'hello\n');
    expect(sent.map((s) => [s.peer, s.stream, s.text])).toEqual([
      ['peer-1', 'stderr', 'hello'],
      ['peer-2', 'stderr', 'hello'],
    ]);
    forwarder.noteMessage(peer(1), heartbeat(false));
    sent.length = 0;
    forwarder.forward('stdout', 'again');
    expect(sent.map((s) => s.peer)).toEqual(['peer-2']);
  });

  it('ignores an opt-in on a heartbeat reply (our own echo from a peer that is a child)', () => {
    const { forwarder } = setup();
    const reply = heartbeat(true);
    reply.metadata = { ...reply.metadata, hb_response: true };
    forwarder.noteMessage(peer(1), reply);
    expect(forwarder.subscriberCount).toBe(0);
  });

  it('is not flushed by many strangers: the real parent keeps getting output', () => {
    const { forwarder, sent } = setup();
    forwarder.noteMessage(peer(0), heartbeat(true));
    for (let i = 1; i <= 5000; i++) forwarder.noteMessage(peer(i), heartbeat());
    forwarder.forward('stdout', 'line');
    expect(sent.map((s) => s.peer)).toEqual(['peer-0']);
  });

  it('refuses new subscribers beyond the cap instead of evicting old ones', () => {
    const { forwarder, sent } = setup({ maxSubscribers: 3 });
    for (let i = 1; i <= 5; i++) forwarder.noteMessage(peer(i), heartbeat(true));
    expect(forwarder.subscriberCount).toBe(3);
    expect(forwarder.refused).toBe(2);
    forwarder.forward('stdout', 'x');
    expect(sent.map((s) => s.peer)).toEqual(['peer-1', 'peer-2', 'peer-3']);
  });

  it('drops a subscriber silent for idleMs, and makes room for a newcomer at the cap', () => {
    const { forwarder, sent, advance } = setup({ maxSubscribers: 2, idleMs: 100 });
    forwarder.noteMessage(peer(1), heartbeat(true));
    forwarder.noteMessage(peer(2), heartbeat(true));
    advance(60);
    forwarder.noteMessage(peer(2), heartbeat()); // any message renews a subscriber
    advance(60);
    forwarder.noteMessage(peer(3), heartbeat(true)); // peer 1 is idle: it goes, peer 3 gets its place
    expect(forwarder.refused).toBe(0);
    forwarder.forward('stdout', 'x');
    expect(sent.map((s) => s.peer)).toEqual(['peer-2', 'peer-3']);
    sent.length = 0;
    advance(150);
    forwarder.forward('stdout', 'y');
    expect(sent).toEqual([]);
    expect(forwarder.subscriberCount).toBe(0);
  });

  it("answers each parent with that parent's app id, following a change", () => {
    const { forwarder, sent } = setup();
    forwarder.noteMessage(peer(3), heartbeat(true, APP_V3));
    forwarder.noteMessage(peer(4), heartbeat(true, APP_V4));
    forwarder.forward('stdout', 'x');
    expect(sent.map((s) => [s.peer, s.app])).toEqual([
      ['peer-3', APP_V3],
      ['peer-4', APP_V4],
    ]);
    forwarder.noteMessage(peer(3), heartbeat(undefined, APP_V4));
    sent.length = 0;
    forwarder.forward('stdout', 'y');
    expect(sent.map((s) => s.app)).toEqual([APP_V4, APP_V4]);
  });

  it('forwards real console writes once installed, and stops when uninstalled', () => {
    const { forwarder, sent } = setup();
    forwarder.noteMessage(peer(1), heartbeat(true));
    forwarder.install();
    try {
      process.stdout.write('from stdout\n');
      process.stderr.write(Buffer.from('from stderr\n'));
    } finally {
      forwarder.uninstall();
    }
    process.stdout.write('after uninstall\n');
    expect(sent.map((s) => [s.stream, s.text])).toEqual([
      ['stdout', 'from stdout'],
      ['stderr', 'from stderr'],
    ]);
  });
});
