import { LIST_FUNCTIONS_CALL, MultifrostError, RemoteCallError } from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { listFunctions } from '../src/list-functions.js';

const notFound = (fn: string) =>
  new RemoteCallError({ remoteType: 'AttributeError', remoteMessage: `no function '${fn}'`, functionName: fn });

/** A peer that answers only the given names (the others raise as a public peer would). */
function peer(answers: Record<string, unknown>) {
  return async (fn: string) => {
    if (fn in answers) return answers[fn];
    throw notFound(fn);
  };
}

async function protocolError(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MultifrostError);
  expect((err as MultifrostError).code).toBe('PROTOCOL');
  return (err as MultifrostError).message;
}

describe('listFunctions() checks what the worker answers', () => {
  it('returns the names, sorted, from our child or either public spelling', async () => {
    expect(await listFunctions(peer({ [LIST_FUNCTIONS_CALL]: ['b', 'a'] }))).toEqual(['a', 'b']);
    expect(await listFunctions(peer({ list_functions: ['predict', 'add'] }))).toEqual(['add', 'predict']);
    expect(await listFunctions(peer({ listFunctions: ['x'] }))).toEqual(['x']);
  });

  it('refuses an answer that is not an array of names, saying what came', async () => {
    expect(await protocolError(listFunctions(peer({ [LIST_FUNCTIONS_CALL]: { a: 1 } })))).toMatch(
      /answered .* with an object, not an array of function names/,
    );
    expect(await protocolError(listFunctions(peer({ [LIST_FUNCTIONS_CALL]: 'add' })))).toMatch(/the string "add"/);
    expect(await protocolError(listFunctions(peer({ list_functions: ['ok', 42] })))).toMatch(
      /list_functions with an array whose item 1 is number 42/,
    );
    expect(await protocolError(listFunctions(peer({ listFunctions: null })))).toMatch(/listFunctions with null/);
  });

  it('passes on the first error when no spelling answers', async () => {
    await expect(listFunctions(peer({}))).rejects.toBeInstanceOf(RemoteCallError);
  });

  it('stops at a timeout instead of waiting as long again for each other spelling', async () => {
    const asked: string[] = [];
    const err = await listFunctions(async (fn) => {
      asked.push(fn);
      if (fn === LIST_FUNCTIONS_CALL) throw notFound(fn);
      throw new MultifrostError('TIMEOUT', `${fn} timed out`);
    }).catch((e: unknown) => e);
    expect((err as MultifrostError).code).toBe('TIMEOUT');
    expect(asked).toEqual([LIST_FUNCTIONS_CALL, 'list_functions']);
  });
});
