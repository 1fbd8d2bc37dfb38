export { FileServiceRegistry } from './file-registry.js';
export type { FileServiceRegistryOptions } from './file-registry.js';
export type { FileServiceEntry } from './service-entries.js';
export { chooseRegistry, maskPassword, remoteRegistryMissing, REDIS_REGISTRY_PACKAGE } from './registry-choice.js';
export type { ChosenRegistry, RegistryChoice, RemoteRegistryLoader } from './registry-choice.js';
export { defaultRegistryHome, registryPaths } from './registry-home.js';
export type { RegistryPaths } from './registry-home.js';
export type {
  ServiceRegistry,
  ServiceEntry,
  RegistrationLease,
  RegisterOptions,
  DiscoverOptions,
  BindEndpoint,
} from './types.js';
