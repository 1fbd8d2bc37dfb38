/**
 * Reading what a spawning parent handed over in the environment
 * ([docs/spawn-mode.md](../../../docs/spawn-mode.md#what-happens)), and removing it so this
 * worker's own subprocesses don't think they were spawned by our parent.
 */
import { ENV_ENDPOINT, ENV_PARENT_PID, ENV_PORT, ENV_WORKER_MODE, MultifrostError } from '@multifrost/protocol';

/**
 * Our parent's extension: the exact endpoint to connect to, in any transport's form. Other peers
 * only read `COMLINK_ZMQ_PORT`, which stays the public contract.
 */

export interface SpawnEnv {
  /** `COMLINK_ZMQ_PORT`; absent when the parent bound a non-TCP endpoint. */
  port: number | undefined;
  /** `MULTIFROST_ENDPOINT`, when the parent set it. */
  endpoint?: string;
  parentPid: number | undefined;
}

/** undefined when not in spawn mode; throws a clear error on a malformed port. */
export function takeSpawnEnv(env: NodeJS.ProcessEnv = process.env): SpawnEnv | undefined {
  const raw = env[ENV_PORT];
  const endpoint = env[ENV_ENDPOINT] || undefined;
  if ((raw === undefined || raw === '') && endpoint === undefined) return undefined;
  const parentRaw = env[ENV_PARENT_PID];
  delete env[ENV_PORT];
  delete env[ENV_ENDPOINT];
  delete env[ENV_WORKER_MODE];
  delete env[ENV_PARENT_PID];
  const parentPid = parentRaw && /^\d+$/.test(parentRaw) ? Number(parentRaw) : undefined;
  if (raw === undefined || raw === '') return { port: undefined, endpoint, parentPid };
  if (!/^\d+$/.test(raw) || Number(raw) < 1024 || Number(raw) > 65535) {
    throw new MultifrostError(
      'INVALID_ARGUMENT',
      `Invalid port '${raw}' in ${ENV_PORT}: expected an integer in 1024-65535`,
    );
  }
  return { port: Number(raw), endpoint, parentPid };
}
