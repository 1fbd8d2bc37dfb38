/**
 * @multifrost/testing (private): test doubles for the packages' unit tests. The in-memory
 * transport speaks the real protocol (codec and validator) without sockets or processes.
 */
export { createMemoryTransport } from './memory-transport.js';
export type { MemoryTransport, MemoryTransportOptions } from './memory-transport.js';
export type { FaultHook, Packet, Verdict } from './faults.js';
