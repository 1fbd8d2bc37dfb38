/**
 * `@multifrost/protocol/internal`: what the Multifrost packages share among themselves but users
 * should not build on (the debug hook, the /proc reader). No semver promise: anything here may
 * change in any release.
 */
export { createDebug, debugEnabled } from './debug.js';
export type { DebugLog } from './debug.js';
export {
  USER_HZ,
  machineCpuTicks,
  parseProcStat,
  readProcStat,
  processStartTimeMs,
  processCpuUs,
  residentMb,
} from './proc-stat.js';
export type { ProcStat } from './proc-stat.js';
export { payloadForSend } from './codec.js';
export { pause } from './pause.js';
export { exactSizeSettings } from './exact-size.js';
export { PAYLOAD_FRAME_MIN_BYTES } from './payload-frames.js';
export { MAX_TIMER_MS, safeTimeout, timerDelay } from './safe-timer.js';
export type { SafeTimer } from './safe-timer.js';
