import { createCall } from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { callContext, currentCall, runHandler, storedCallDone } from '../src/call-context.js';
import { CallState } from '../src/call-state.js';

const tick = () => new Promise<void>((r) => setTimeout(r, 1));

/** Runs a handler the way ChildWorker does, and waits for it. */
async function run(
  method: (...args: unknown[]) => unknown,
  name = 'f',
): Promise<{ value: unknown; stored: boolean; id: string }> {
  const call = new CallState(createCall({ function: name }));
  const { value, stored } = runHandler(call, method, undefined, []);
  try {
    return { value: await value, stored, id: call.id };
  } finally {
    call.dispose();
    if (stored) storedCallDone();
  }
}

describe('call context', () => {
  it('a plain handler sees its call synchronously, outside the async storage', async () => {
    const seen = await run(() => currentCall()?.functionName, 'plain');
    expect(seen).toMatchObject({ value: 'plain', stored: false });
    expect(currentCall()).toBeUndefined();
    expect(() => callContext()).toThrow(/only be used while a Multifrost call is being handled/);
  });

  it('an async handler keeps its own call across awaits, with calls interleaved', async () => {
    const handler = async () => {
      const before = callContext().id;
      await tick();
      const after = callContext().id;
      await tick();
      return [before, after, callContext().id];
    };
    const results = await Promise.all([run(handler), run(handler), run(handler)]);
    for (const r of results) {
      expect(r.stored).toBe(true);
      expect(r.value).toEqual([r.id, r.id, r.id]);
    }
    expect(new Set(results.map((r) => r.id)).size).toBe(3);
    expect(currentCall()).toBeUndefined();
  });

  it('a plain method that returns a promise carries the context from its next call on', async () => {
    function later(): Promise<string | undefined> {
      return tick().then(() => currentCall()?.id);
    }
    const first = await run(later);
    expect(first).toMatchObject({ stored: false, value: undefined }); // the documented first-call gap
    const second = await run(later);
    expect(second).toMatchObject({ stored: true, value: second.id });
  });

  it('a throwing handler leaves no context behind', async () => {
    await expect(
      run(() => {
        throw new TypeError('bad');
      }),
    ).rejects.toThrow('bad');
    await expect(
      run(async () => {
        await tick();
        throw new RangeError('worse');
      }),
    ).rejects.toThrow('worse');
    expect(currentCall()).toBeUndefined();
  });
});
