/**
 * `listFunctions()` across peers: our child answers a reserved call; the public Python peer
 * exposes `list_functions` and the public JS peer `listFunctions` as ordinary methods. Whatever
 * answers, the answer is checked: a peer that sends something other than a list of names gets a
 * PROTOCOL error saying what it sent, never a value typed `string[]` that is not one.
 */
import { LIST_FUNCTIONS_CALL, MultifrostError, RemoteCallError } from '@multifrost/protocol';

export async function listFunctions(invoke: (fn: string) => Promise<unknown>): Promise<string[]> {
  let answer: unknown;
  let asked = LIST_FUNCTIONS_CALL;
  try {
    answer = await invoke(LIST_FUNCTIONS_CALL);
  } catch (err) {
    if (!(err instanceof RemoteCallError)) throw err;
    const fallback = await tryPublicSpellings(invoke);
    if (!fallback) throw err;
    [asked, answer] = fallback;
  }
  return checkNames(answer, asked);
}

async function tryPublicSpellings(invoke: (fn: string) => Promise<unknown>): Promise<[string, unknown] | undefined> {
  for (const name of ['list_functions', 'listFunctions']) {
    try {
      return [name, await invoke(name)];
    } catch (err) {
      // Only "no such function" moves on: after a timeout, another spelling would wait as long again.
      if (!(err instanceof RemoteCallError)) throw err;
    }
  }
  return undefined;
}

function checkNames(answer: unknown, asked: string): string[] {
  const bad = !Array.isArray(answer)
    ? describe(answer)
    : answer.findIndex((name) => typeof name !== 'string' || name.length === 0);
  if (typeof bad === 'string' || bad >= 0) {
    const what =
      typeof bad === 'string' ? bad : `an array whose item ${bad} is ${describe((answer as unknown[])[bad])}`;
    throw new MultifrostError(
      'PROTOCOL',
      `listFunctions(): the worker answered ${asked} with ${what}, not an array of function names`,
    );
  }
  return [...new Set(answer as string[])].sort();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
