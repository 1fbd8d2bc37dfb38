/** The options a worker is constructed with (docs/api.md, ChildWorker). */
import type { ServiceRegistry } from '@multifrost/registry';
import type { TransportOptions } from '@multifrost/transport-zmq';

export interface ChildWorkerOptions {
  /** Connect mode: register under this id in the service registry. */
  serviceId?: string;
  /** Namespace this worker serves. Calls to another namespace get an error reply. Default `"default"`. */
  namespace?: string;
  /** Most handlers running at once; further calls wait in order. Default: unlimited. */
  maxConcurrency?: number;
  /** How long stop() lets in-flight calls finish before aborting them. Default 5000 ms. */
  shutdownGraceMs?: number;
  /** Registry for connect mode. Default: the file registry (`MULTIFROST_HOME` or ~/.multifrost). */
  registry?: ServiceRegistry;
  /** Socket options (host, timeouts, limits). */
  transport?: TransportOptions;
  /** Connect mode: port to bind (0 = any free port). Default 0. */
  port?: number;
  /** Install SIGINT/SIGTERM handlers that stop gracefully. Default true. */
  handleSignals?: boolean;
  /** After a stop caused by a signal, `shutdown` or parent death, exit the process. Default true. */
  exitOnStop?: boolean;
  /** Connect mode: forward console output to connected parents. Default true. */
  forwardOutput?: boolean;
  /** Obey `shutdown` messages. Default: true in spawn mode, false in connect mode (shared services). */
  acceptRemoteShutdown?: boolean;
  /** Spawn mode: how often to check that the parent is alive. Default 200 ms. */
  parentCheckIntervalMs?: number;
  /** Don't print the "ready" line in connect mode. */
  quiet?: boolean;
}
