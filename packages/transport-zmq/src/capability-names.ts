/**
 * The capability names (docs/protocol.md#capabilities) a transport's wire features stand for, so
 * parent and child list exactly what their transport can do: a transport without batches (the
 * in-memory one of the tests, a future one) never has its side promise them.
 */
import { CAP_BATCH, CAP_FRAMES } from '@multifrost/protocol';
import type { TransportCapabilities } from './types.js';

export function wireCapabilityNames(capabilities: TransportCapabilities | undefined): string[] {
  const names: string[] = [];
  if (capabilities?.batch === true) names.push(CAP_BATCH);
  if (capabilities?.payloadFrames === true) names.push(CAP_FRAMES);
  return names;
}
