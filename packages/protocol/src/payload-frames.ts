/**
 * Payload frames (docs/protocol.md#payload-frames): between peers that both listed the `frames`
 * capability, each binary value of 8 MiB or more travels as a ZeroMQ frame of its own after the
 * payload, and the payload holds a reference to it (ext type 0x46, 'F', four bytes: the frame's
 * index). zeromq.js sends a Buffer of that size by reference and receives one into an external
 * buffer, so neither side copies it: a 16 MiB echo costs about what bare frames cost. The public
 * peers never get one (they list no capabilities) and keep the two-frame format.
 */
import { addExtension } from 'msgpackr';
import { FrameRef } from './values.js';

export const FRAME_REF_EXT_TYPE = 0x46;
/**
 * Binary values at least this large go into frames of their own. Smaller ones are copied into the
 * payload (exactly sized, exact-size.ts), which is cheaper up to a few MiB: a value sent by
 * reference is held by zeromq.js until libzmq has sent it, so a fresh one (a reply, an echo) often
 * outlives a young-generation GC, is promoted, and is freed only by a full one. A 1 MiB echo with
 * frames made 38 full GCs in the child per 1,500 echoes, copied 1 (and 108 cheap young ones), and
 * the copy ran faster: 683 against 619 MB/s at 1 MiB, 834 against 722 at 4 MiB, even at 8 MiB,
 * and 683 against 918 at 16 MiB, where the copy itself dominates (`echo-focus multifrost
 * multifrost-unbatched`, docs/benchmarks.md). From 64 KiB, as at first, frames were slower at
 * every size below 8 MiB.
 */
export const PAYLOAD_FRAME_MIN_BYTES = 8 * 1024 * 1024;
/** Frames after the payload a message may have at most. */
export const MAX_PAYLOAD_FRAMES = 1024;

/**
 * The frames of the message being decoded, and which were referenced. Decoding is synchronous, so
 * one module-level slot serves every decoder; outside a framed message it is undefined and a
 * reference is an error, as any unknown ext value is.
 */
const incoming: { frames: readonly Uint8Array[] | undefined; used: Uint8Array } = {
  frames: undefined,
  used: new Uint8Array(0),
};

addExtension({
  Class: FrameRef,
  type: FRAME_REF_EXT_TYPE,
  pack(ref: FrameRef): Buffer {
    const data = Buffer.allocUnsafe(4);
    data.writeUInt32BE(ref.index);
    return data;
  },
  unpack(data: Uint8Array): Uint8Array {
    const frames = incoming.frames;
    if (frames === undefined) throw new Error('a payload frame reference outside a message with payload frames');
    if (data.length !== 4) throw new Error(`a payload frame reference of ${data.length} bytes, expected 4`);
    const index = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
    const frame = frames[index];
    if (frame === undefined) throw new Error(`payload frame ${index} is missing (the message has ${frames.length})`);
    incoming.used[index] = 1;
    return frame;
  },
} as unknown as Parameters<typeof addExtension>[0]);

/**
 * Runs `decode` with `frames` available to frame references. Returns its value, how many frames
 * were referenced, and the index of the first frame nothing referenced (-1 when all were): a frame
 * nobody points at is refused, so stray extra frames from a peer that does not use them are still
 * a FRAME_COUNT error. `decode` must not throw (it returns its own error outcome).
 */
export function withPayloadFrames<T>(
  frames: readonly Uint8Array[],
  decode: () => T,
): { value: T; referenced: number; unused: number } {
  incoming.frames = frames;
  const used = new Uint8Array(frames.length);
  incoming.used = used;
  try {
    const value = decode();
    let referenced = 0;
    for (let i = 0; i < used.length; i++) referenced += used[i]!;
    return { value, referenced, unused: used.indexOf(0) };
  } finally {
    incoming.frames = undefined;
  }
}
