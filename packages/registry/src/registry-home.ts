/**
 * Where the registry lives: `$MULTIFROST_HOME` or `~/.multifrost`
 * ([protocol](../../../docs/protocol.md#connect-mode-and-the-registry)), and the two files in it
 * that the peers agree on, plus the v3 Python peer's own lock.
 */
import os from 'node:os';
import path from 'node:path';
import { ENV_HOME } from '@multifrost/protocol';

export interface RegistryPaths {
  /** `services.json`: the registry itself. */
  file: string;
  /** `services.lock`: the O_EXCL lock the Python v4, Go and Rust peers take too. */
  lock: string;
  /** `registry.lock`: the O_EXCL lock of the v3 Python peer, taken after `lock`. */
  legacyLock: string;
}

/**
 * Every lock a registry change must hold, in the one order every Multifrost process takes them.
 * `services.lock` first: a holder that dies before taking the second leaves only the lock that Go,
 * Rust and we all break at 10 s, and `registry.lock` — which the v3 Python peer never breaks — is
 * held for the shortest time.
 */
export function registryLockOrder(paths: RegistryPaths): string[] {
  return [paths.lock, paths.legacyLock];
}

/** `$MULTIFROST_HOME` (resolved to an absolute path) or `~/.multifrost`, read now. */
export function defaultRegistryHome(): string {
  const env = process.env[ENV_HOME];
  return env && env.length > 0 ? path.resolve(env) : path.join(os.homedir(), '.multifrost');
}

export function registryPaths(home: string): RegistryPaths {
  return {
    file: path.join(home, 'services.json'),
    lock: path.join(home, 'services.lock'),
    legacyLock: path.join(home, 'registry.lock'),
  };
}
