/**
 * `listFunctions()` across peers: our child answers a reserved call; the public Python peer
 * exposes `list_functions` and the public JS peer `listFunctions` as ordinary methods.
 */
import { LIST_FUNCTIONS_CALL, RemoteCallError } from '@multifrost/protocol';

export async function listFunctions(invoke: (fn: string) => Promise<unknown>): Promise<string[]> {
  try {
    return (await invoke(LIST_FUNCTIONS_CALL)) as string[];
  } catch (err) {
    if (!(err instanceof RemoteCallError)) throw err;
    for (const name of ['list_functions', 'listFunctions']) {
      try {
        const list = await invoke(name);
        if (Array.isArray(list)) return list.map(String).sort();
      } catch {
        // try the next spelling
      }
    }
    throw err;
  }
}
