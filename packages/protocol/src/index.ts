export {
  APP_V3,
  APP_V4,
  appIdFor,
  isAppId,
  DEFAULT_NAMESPACE,
  DEFAULT_LIMITS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_MAX_MISSES,
  ENV_PORT,
  ENV_WORKER_MODE,
  ENV_PARENT_PID,
  ENV_ENDPOINT,
  ENV_HOME,
  LIST_FUNCTIONS_CALL,
  OUTPUT_OPT_IN_KEY,
  MAX_MESSAGE_BYTES_KEY,
} from './constants.js';
export {
  CAPABILITIES_KEY,
  WORKER_CAPABILITIES_KEY,
  CAP_BATCH,
  CAP_FRAMES,
  CAP_STREAM,
  STREAM_KEY,
  readCapabilities,
} from './capabilities.js';
export { BATCH_TYPE, MAX_BATCH_ITEMS, encodeBatch } from './batch.js';
export type { AppId, ProtocolVersion, ProtocolLimits } from './constants.js';

export { MultifrostError, RemoteCallError, isMultifrostError } from './errors.js';
export type { MultifrostErrorCode, MultifrostErrorOptions, RemoteErrorInfo } from './errors.js';

export {
  MESSAGE_TYPES,
  newId,
  nowSeconds,
  createCall,
  createResponse,
  createError,
  createOutput,
  createHeartbeat,
  createHeartbeatReply,
  createShutdown,
  createCancel,
  createStreamItem,
  createStreamEnd,
  createStreamCredit,
} from './messages.js';
export type {
  MessageType,
  Metadata,
  Message,
  CallMessage,
  ResponseMessage,
  ErrorMessage,
  OutputMessage,
  HeartbeatMessage,
  ShutdownMessage,
  CancelMessage,
  BatchMessage,
  StreamItemMessage,
  StreamEndMessage,
  StreamCreditMessage,
  CallInit,
  ErrorInit,
} from './messages.js';

export { encodeMessage, encodeValue, decodeValue } from './codec.js';
export {
  validateMessage,
  decodeMessage,
  parseFrames,
  unpackBatch,
  unpackBatchItem,
  REJECT_REASONS,
} from './validate.js';
export type { RejectReason, Rejection, Validated, FramesResult } from './validate.js';
export { errorInitFrom, parseRemoteError } from './remote-error.js';
export type { ParsedRemoteError } from './remote-error.js';
