/**
 * The transport's debug channel: `DEBUG=multifrost:transport` (or `multifrost:*`) writes to stderr.
 * It reuses the protocol package's dependency-free hook so every package parses DEBUG the same way.
 */
import { createDebug } from '@multifrost/protocol/internal';

export const debug = createDebug('multifrost:transport');
