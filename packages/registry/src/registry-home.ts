/**
 * Where the registry lives: `$MULTIFROST_HOME` or `~/.multifrost`
 * ([protocol](../../../docs/protocol.md#connect-mode-and-the-registry)), and the two files in it
 * that every peer agrees on.
 */
import os from 'node:os';
import path from 'node:path';
import { ENV_HOME } from '@multifrost/protocol';

export interface RegistryPaths {
  /** `services.json`: the registry itself. */
  file: string;
  /** `services.lock`: the O_EXCL lock the Python v4, Go and Rust peers take too. */
  lock: string;
}

/** `$MULTIFROST_HOME` (resolved to an absolute path) or `~/.multifrost`, read now. */
export function defaultRegistryHome(): string {
  const env = process.env[ENV_HOME];
  return env && env.length > 0 ? path.resolve(env) : path.join(os.homedir(), '.multifrost');
}

export function registryPaths(home: string): RegistryPaths {
  return { file: path.join(home, 'services.json'), lock: path.join(home, 'services.lock') };
}
