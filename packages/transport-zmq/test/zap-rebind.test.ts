// Gated transports (spawn mode over TCP) opened and closed concurrently share one ZAP handler,
// bound at a fixed inproc name; a new handler must not bind while the old one still holds it.
import { describe, expect, it } from 'vitest';
import { zmqTransport } from '../src/index.js';

describe('the shared ZAP handler', () => {
  it('survives concurrent gated bind/close cycles without EADDRINUSE', async () => {
    const transport = zmqTransport();
    const failures: string[] = [];
    const cycle = async () => {
      for (let i = 0; i < 80; i++) {
        const caller = transport.caller();
        try {
          await caller.bind(undefined, { acceptOnlyFirstPeer: true });
        } catch (err) {
          failures.push(String(err));
        } finally {
          await caller.close();
        }
      }
    };
    await Promise.all([cycle(), cycle(), cycle()]);
    expect(failures).toEqual([]);
  });
});
