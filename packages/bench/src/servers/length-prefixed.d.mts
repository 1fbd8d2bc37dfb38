// Types of length-prefixed.mjs, for the TypeScript parent side of the Unix-socket baseline.
import type { Socket } from 'node:net';

export function frameReader(
  onFrame: (body: Buffer) => void,
  maxBytes?: number,
  onTooLarge?: (length: number) => void,
): (chunk: Buffer) => void;
export function frameWriter(socket: Socket): (body: Buffer) => void;
