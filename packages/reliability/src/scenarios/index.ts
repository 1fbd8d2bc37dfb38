/** Every scenario of the reliability suite, in issue order. */
import { callFlood } from './call-flood.js';
import { closedWorkerDescriptors } from './descriptors.js';
import { busyOrphan } from './busy-orphan.js';
import { badValues, hostileFrames, soak, unservable } from './load-and-input.js';
import { hostileRegistryAndValues } from './hostile-registry-and-values.js';
import { hugeDurations } from './huge-durations.js';
import { neverStarts, parentDeath, restartUnderLoad, sigkillInFlight, sigstop } from './process-faults.js';
import { outputFlood } from './output-flood.js';
import { overSize } from './over-size.js';
import { movedService } from './moved-service.js';
import { registryStorm } from './registry-storm.js';
import { retryLivelock } from './retry-livelock.js';
import type { Scenario } from '../support.js';

export const SCENARIOS: Scenario[] = [
  sigkillInFlight,
  sigstop,
  parentDeath,
  restartUnderLoad,
  soak,
  hostileFrames,
  badValues,
  registryStorm,
  neverStarts,
  unservable,
  callFlood,
  retryLivelock,
  closedWorkerDescriptors,
  movedService,
  overSize,
  hostileRegistryAndValues,
  busyOrphan,
  hugeDurations,
  outputFlood,
];
