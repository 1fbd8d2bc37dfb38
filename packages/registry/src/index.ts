export { FileServiceRegistry, defaultRegistryHome, registryPaths } from './file-registry.js';
export type { FileServiceRegistryOptions } from './file-registry.js';
export { isPidAlive, isRegistrantAlive, parseStarted, processStartTimeMs } from './pid-liveness.js';
export type { ServiceRegistry, ServiceEntry, DiscoverOptions } from './types.js';
