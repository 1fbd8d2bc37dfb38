import { createCall } from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { CallState } from '../src/call-state.js';

describe('CallState', () => {
  it('aborts a signal read after cancellation', () => {
    const state = new CallState(createCall({ function: 'f' }));
    state.abort(new Error('cancelled'));
    expect(state.signal.aborted).toBe(true);
    expect((state.signal.reason as Error).message).toBe('cancelled');
  });

  it('fires the signal at the deadline', async () => {
    const state = new CallState(createCall({ function: 'f', metadata: { deadline: (Date.now() + 50) / 1000 } }));
    const signal = state.signal;
    expect(signal.aborted).toBe(false);
    await new Promise((r) => signal.addEventListener('abort', r));
    expect(signal.reason).toMatchObject({ code: 'TIMEOUT' });
    state.dispose();
  });

  it('a past deadline aborts at once', () => {
    const state = new CallState(createCall({ function: 'f', metadata: { deadline: 1 } }));
    expect(state.signal.aborted).toBe(true);
  });

  it('exposes id, function, namespace and client name', () => {
    const msg = createCall({ function: 'f', namespace: 'ns', clientName: 'me' });
    const state = new CallState(msg);
    expect([state.id, state.functionName, state.namespace, state.clientName]).toEqual([msg.id, 'f', 'ns', 'me']);
  });
});
