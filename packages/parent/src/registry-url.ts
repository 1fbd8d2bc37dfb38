/**
 * The `registry` option as a URL (`'redis://host:6379/0'`, or `MULTIFROST_REGISTRY`): the choice
 * is @multifrost/registry's; only the import of the Redis backend is here, since a package is
 * resolved from the one that declares it, and this one declares @multifrost/registry-redis as an
 * optional peer (installed by those who use Redis, never a dependency of everyone else).
 */
import { chooseRegistry, remoteRegistryMissing, type ChosenRegistry, type RegistryChoice } from '@multifrost/registry';
import type { ServiceRegistry } from '@multifrost/registry';

export function registryFor(choice: RegistryChoice | undefined): ChosenRegistry {
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
