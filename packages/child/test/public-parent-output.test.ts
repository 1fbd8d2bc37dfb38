/** Spawn mode under a public parent: who gets the output, line splitting, and the link watch. */
import { spawn } from 'node:child_process';
import { APP_V4, createHeartbeat, createHeartbeatReply } from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { MAX_EARLY_LINES, OutputForwarder, splitLines } from '../src/output-forwarding.js';
import { inferSpawner, linkWatch } from '../src/public-spawner.js';

function setup() {
  const sent: { stream: string; text: string; app: string }[] = [];
  let clock = 1_000;
  const forwarder = new OutputForwarder((_p, stream, text, app) => sent.push({ stream, text, app }), {
    subscribeAll: true,
    now: () => clock,
  });
  return { forwarder, sent, advance: (ms: number) => (clock += ms) };
}

describe('OutputForwarder with subscribeAll', () => {
  it('subscribes the parent on its first message, without an opt-in, and never idles it out', () => {
    const { forwarder, sent, advance } = setup();
    forwarder.noteMessage(Buffer.from('p'), createHeartbeat(APP_V4));
    advance(10 * 60_000);
    forwarder.forward('stderr', 'late\n');
    expect(sent).toEqual([{ stream: 'stderr', text: 'late', app: APP_V4 }]);
  });

  it('keeps the lines written before the parent spoke and sends them first, in its app id', () => {
    const { forwarder, sent } = setup();
    forwarder.forward('stdout', 'one\ntwo\n');
    expect(sent).toEqual([]);
    forwarder.noteMessage(Buffer.from('p'), createHeartbeat(APP_V4));
    forwarder.forward('stdout', 'three');
    expect(sent.map((s) => s.text)).toEqual(['one', 'two', 'three']);
    expect(new Set(sent.map((s) => s.app))).toEqual(new Set([APP_V4]));
  });

  it('bounds the early lines and counts the ones dropped', () => {
    const { forwarder, sent } = setup();
    for (let i = 0; i < MAX_EARLY_LINES + 5; i++) forwarder.forward('stdout', `${i}\n`);
    expect(forwarder.earlyDropped).toBe(5);
    forwarder.noteMessage(Buffer.from('p'), createHeartbeat(APP_V4));
    expect(sent.length).toBe(MAX_EARLY_LINES);
    expect(sent[0]!.text).toBe('5');
  });

  it('does not take a heartbeat echo for a parent', () => {
    const { forwarder } = setup();
    forwarder.noteMessage(Buffer.from('p'), createHeartbeatReply(createHeartbeat(APP_V4)));
    expect(forwarder.subscriberCount).toBe(0);
  });
});

describe('splitLines', () => {
  it('gives one entry per line, without line ends or blank lines', () => {
    expect(splitLines('a\nb\r\n\nc')).toEqual(['a', 'b', 'c']);
    expect(splitLines('\n')).toEqual([]);
  });
});

describe('inferSpawner', () => {
  it('watches the parent of a /bin/sh wrapper too', async () => {
    const sh = spawn('/bin/sh', ['-c', 'sleep 5; true'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      // As seen by the `sleep` the shell started: its parent is the shell.
      expect(inferSpawner(sh.pid)).toEqual({ parentPid: sh.pid, alsoPids: [process.pid] });
      // Not a shell: nothing more is watched.
      expect(inferSpawner(process.pid)).toEqual({ parentPid: process.pid, alsoPids: [] });
    } finally {
      sh.kill('SIGKILL');
    }
  });
});

describe('linkWatch', () => {
  it('fires once after the link stays down for the window, not when it comes back in time', async () => {
    let gone = 0;
    const watch = linkWatch(50, () => gone++);
    watch.peersChanged(0);
    watch.peersChanged(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(gone).toBe(0);
    watch.peersChanged(0);
    watch.peersChanged(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(gone).toBe(1);
    watch.stop();
  });
});
