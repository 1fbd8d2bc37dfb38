/** Every scenario of the reliability suite, in issue order. */
import { callFlood } from './call-flood.js';
import { closedWorkerDescriptors } from './descriptors.js';
import { badValues, hostileFrames, soak, unservable } from './load-and-input.js';
import { neverStarts, parentDeath, restartUnderLoad, sigkillInFlight, sigstop } from './process-faults.js';
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
];
