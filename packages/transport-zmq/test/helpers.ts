/**
 * Shared test plumbing: every socket a test opens is closed after it, plus small waits.
 */
import { afterEach } from 'vitest';
import { zmqTransport, type CallerTransport, type ServiceTransport, type TransportOptions } from '../src/index.js';

const open: { close(): unknown }[] = [];

/** Registers a transport or raw zeromq socket to be closed after the current test. */
export function track<T extends { close(): unknown }>(t: T): T {
  open.push(t);
  return t;
}

afterEach(async () => {
  for (const t of open.splice(0).reverse()) await t.close();
});

export function nextMessage<T>(register: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve) => register(resolve));
}

export async function waitUntil(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Spawn mode: the caller (DEALER) binds, the service (ROUTER) connects; connect mode the other way. */
export async function pair(
  layout: 'spawn' | 'connect',
  options: TransportOptions = {},
): Promise<{ caller: CallerTransport; service: ServiceTransport }> {
  const caller = track(zmqTransport(options).caller());
  const service = track(zmqTransport(options).service());
  if (layout === 'spawn') service.connect(await caller.bind());
  else caller.connect(await service.bind());
  return { caller, service };
}

export const EMPTY = Buffer.alloc(0);
