export { FileServiceRegistry } from './file-registry.js';
export type { FileServiceRegistryOptions } from './file-registry.js';
export type { FileServiceEntry } from './service-entries.js';
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
