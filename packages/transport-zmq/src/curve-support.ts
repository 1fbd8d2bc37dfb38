/**
 * Whether this zeromq build can do CURVE. zeromq.js ships libzmq with libsodium on the common
 * platforms, but a source build without it would otherwise fail later and obscurely (a socket
 * option rejected, or worse, a connection that just never completes).
 */
import { MultifrostError } from '@multifrost/protocol';
import { capability } from 'zeromq';

/** Throws UNSUPPORTED when libzmq has no CURVE. `available` is for tests of the message. */
export function assertCurveAvailable(available: boolean | undefined = capability.curve): void {
  if (available) return;
  throw new MultifrostError(
    'UNSUPPORTED',
    'CURVE is not available: the libzmq inside zeromq.js was built without libsodium/CURVE support (check require("zeromq").capability.curve)',
  );
}
