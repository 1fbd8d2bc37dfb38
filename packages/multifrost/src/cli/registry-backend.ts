/**
 * The CLI's registry from its flags, through @multifrost/registry's chooser. The Redis backend is
 * imported from here because the `multifrost` package is what declares it (an optional peer): a
 * package can only be resolved from one that names it.
 */
import { chooseRegistry, remoteRegistryMissing, type ChosenRegistry, type RegistryChoice } from '@multifrost/registry';
import type { ServiceRegistry } from '@multifrost/registry';

export function cliRegistry(choice: RegistryChoice | undefined): ChosenRegistry {
  return chooseRegistry(choice, loadRedisRegistry);
}

async function loadRedisRegistry(url: string): Promise<ServiceRegistry> {
  let backend: typeof import('@multifrost/registry-redis');
  try {
    backend = await import('@multifrost/registry-redis');
  } catch (err) {
    throw remoteRegistryMissing(url, err);
  }
  return new backend.RedisServiceRegistry({ url });
}
