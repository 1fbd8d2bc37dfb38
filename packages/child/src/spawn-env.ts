/**
 * Reading what a spawning parent handed over in the environment ([docs/spawn-mode.md](../../../docs/spawn-mode.md#what-happens)), and removing
 * it so this worker's own subprocesses don't think they were spawned by our parent.
 */
import { ENV_PARENT_PID, ENV_PORT, ENV_WORKER_MODE, MultifrostError } from '@multifrost/protocol';

export interface SpawnEnv {
  port: number;
  parentPid: number | undefined;
}

/** undefined when not in spawn mode; throws a clear error on a malformed port. */
export function takeSpawnEnv(env: NodeJS.ProcessEnv = process.env): SpawnEnv | undefined {
  const raw = env[ENV_PORT];
  if (raw === undefined || raw === '') return undefined;
  const parentRaw = env[ENV_PARENT_PID];
  delete env[ENV_PORT];
  delete env[ENV_WORKER_MODE];
  delete env[ENV_PARENT_PID];
  if (!/^\d+$/.test(raw) || Number(raw) < 1024 || Number(raw) > 65535) {
    throw new MultifrostError('INVALID_ARGUMENT', `Invalid port '${raw}' in ${ENV_PORT}: expected an integer in 1024-65535`);
  }
  const parentPid = parentRaw && /^\d+$/.test(parentRaw) ? Number(parentRaw) : undefined;
  return { port: Number(raw), parentPid };
}
