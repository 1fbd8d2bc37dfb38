// Types of zmq-writer.mjs.
import type { Socket } from 'zeromq';

export function zmqWriter(socket: Socket): (frames: Buffer[]) => void;
