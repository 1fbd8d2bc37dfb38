/** The options a worker is constructed with (docs/api.md, ChildWorker). */
import type { ServiceRegistry } from '@multifrost/registry';
import type { TransportFactory, TransportOptions } from '@multifrost/transport-zmq';
import type { ServiceSecurity } from './curve-service.js';

export interface ChildWorkerOptions {
  /**
   * Connect mode: register under this id in the service registry. Without it (and outside spawn
   * mode) `start()` fails.
   * @example new MathWorker({ serviceId: 'math' }).run()
   */
  serviceId?: string;
  /**
   * Namespace this worker serves. Calls to another namespace get an error reply.
   * @default 'default'
   */
  namespace?: string;
  /**
   * Most async handlers running at once; further calls wait in arrival order, up to `maxQueue`.
   * A handler that returns a plain value never holds a slot. 64 is ample for I/O-bound handlers
   * and keeps the memory held by calls in flight to a few MB whatever a caller sends; pass
   * `Infinity` to lift the limit.
   * @default 64
   * @example { maxConcurrency: 4 }
   */
  maxConcurrency?: number;
  /**
   * Most calls waiting for a free slot. A call beyond it is not kept: it gets an immediate error
   * reply named `BusyError` with code `BUSY` (the parent rejects with a `MultifrostError` whose
   * code is `'BUSY'`), so the caller can back off or retry. `Infinity` keeps every call.
   * @default 1024
   * @example { maxConcurrency: 8, maxQueue: 100 }
   */
  maxQueue?: number;
  /**
   * How long stop() lets in-flight calls finish before aborting their `signal`, in ms. Anything
   * above 2^31 - 1 ms, Infinity included, is clamped to it (in practice: wait for them); a negative
   * or NaN value is refused with `INVALID_ARGUMENT`.
   * @default 5000
   */
  shutdownGraceMs?: number;
  /**
   * Registry for connect mode: a `ServiceRegistry`, or a URL. `redis://host:6379/0` (or
   * `rediss://`, with `?ttlMs=` for the lease) needs `@multifrost/registry-redis` installed;
   * `file:///dir` is the file registry in that directory. Without it, `MULTIFROST_REGISTRY` is read.
   * A registry made from a URL is closed when the worker stops; one passed in stays yours.
   * @default `MULTIFROST_REGISTRY`, else new FileServiceRegistry() (`MULTIFROST_HOME`, else ~/.multifrost)
   * @example { serviceId: 'math', registry: 'redis://10.0.0.5:6379/0' }
   */
  registry?: ServiceRegistry | string;
  /**
   * How messages travel: a transport factory, or (as before) the settings of the ZeroMQ one.
   * @default zmqTransport()
   * @example { transport: zmqTransport({ sendTimeoutMs: 2000 }) }
   */
  transport?: TransportFactory | TransportOptions;
  /**
   * Connect mode: where to bind, e.g. `tcp://127.0.0.1:5000` or `ipc:///tmp/math.sock`. Wins over
   * `port`; off loopback the same rules as for `host` apply (CURVE or `insecure`, `advertise` for 0.0.0.0).
   * @default a free TCP port on the transport's host (127.0.0.1)
   * @example { serviceId: 'math', endpoint: 'tcp://127.0.0.1:5000' }
   */
  endpoint?: string;
  /**
   * Connect mode: serve CURVE only. `key` is the service's key pair (a `NAME.key_secret` file or
   * `{ publicKey, secretKey }`), `allow` the clients admitted (Z85 keys, `.key` files, or
   * directories of `*.key`; read once at start). Others are refused at the handshake and see
   * nothing; the public key goes into the registry entry. Fails the start with `UNSUPPORTED` on a
   * transport without CURVE, and with `INVALID_ARGUMENT` in spawn mode.
   * @example { serviceId: 'vault', security: { curve: { key: 'keys/vault.key_secret', allow: 'keys/clients' } } }
   */
  security?: ServiceSecurity;
  /**
   * Connect mode: TCP port to bind on `host` (0 = any free port).
   * @default 0
   */
  port?: number;
  /**
   * Connect mode: the address or interface to bind, e.g. `'10.0.0.7'` or `'0.0.0.0'` (every
   * interface; then `advertise` is required). Anything but loopback needs `security.curve`, or
   * `insecure: true`. Not together with `endpoint`.
   * @default `MULTIFROST_HOST`, else the transport's host (127.0.0.1)
   * @example { serviceId: 'math', host: '0.0.0.0', advertise: '10.0.0.7', security: { curve: { key, allow } } }
   */
  host?: string;
  /**
   * Connect mode: the address parents on other hosts connect to, recorded in the registry instead
   * of the bound one: `'10.0.0.7'` (with the bound port) or `'10.0.0.7:5000'` (a mapped port).
   * @default `MULTIFROST_ADVERTISE`, else the bound address (required when binding 0.0.0.0)
   * @example { host: '0.0.0.0', advertise: 'scorer.internal:7000' }
   */
  advertise?: string;
  /**
   * Connect mode: allow binding beyond loopback without `security.curve` (no authentication, no
   * encryption). The service then prints a warning naming the address on stderr at start.
   * Without it such a start fails with `INVALID_ARGUMENT`. Loopback needs no CURVE either way.
   * @default `MULTIFROST_INSECURE=1`, else false
   */
  insecure?: boolean;
  /**
   * Install SIGINT/SIGTERM handlers that stop gracefully.
   * @default true
   */
  handleSignals?: boolean;
  /**
   * After a stop caused by a signal, `shutdown` or parent death, exit the process.
   * @default true
   */
  exitOnStop?: boolean;
  /**
   * Connect mode: forward console output to the parents that asked for it (`metadata.mf_output` in their
   * heartbeats or calls; our ParentWorker does unless its `output` is `ignore`).
   * @default true
   */
  forwardOutput?: boolean;
  /**
   * Obey `shutdown` messages.
   * @default true in spawn mode, false in connect mode (a shared service)
   */
  acceptRemoteShutdown?: boolean;
  /**
   * Spawn mode: how often to check that the parent is alive, in ms (from a thread of its own, so a
   * busy handler does not delay it). Must be more than 0; values above 2^31 - 1 ms are clamped.
   * @default 200
   */
  parentCheckIntervalMs?: number;
  /**
   * Don't print the "ready" line in connect mode.
   * @default false
   */
  quiet?: boolean;
}
