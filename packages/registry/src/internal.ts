/**
 * `@multifrost/registry/internal`: the process-liveness helpers the file registry is built on,
 * shared with the child's parent watch and the test suites. No semver promise: anything here may
 * change in any release.
 */
export {
  isPidAlive,
  isRegistrantAlive,
  latestRegistrationMs,
  parseStarted,
  processStartTimeMs,
} from './pid-liveness.js';
export { abortedError, pollForEntry, throwIfAborted } from './discovery.js';
export type { DiscoveryPoll } from './discovery.js';
export { MAX_SERVICE_ID_LENGTH, checkCurveKey, validateServiceId } from './service-entries.js';
