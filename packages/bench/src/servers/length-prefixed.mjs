// Length-prefixed frames (a 4-byte little-endian length, then the body) over a byte stream, as the
// Unix-socket baseline uses them; shared by its parent client and its child, so both pay the same.

/**
 * Calls `onFrame(body)` for each whole frame. Chunks are kept as a list and joined once a frame is
 * complete, so a 16 MiB frame arriving in 64 KiB pieces costs one copy, not one per piece. A frame
 * announced larger than `maxBytes` is never buffered: `onTooLarge(length)` is called and the
 * reader stops (the stream can no longer be parsed; the caller closes it).
 */
export function frameReader(onFrame, maxBytes = Number.POSITIVE_INFINITY, onTooLarge = () => {}) {
  let stopped = false;
  let chunks = [];
  let have = 0;
  let need = -1;
  return (chunk) => {
    if (stopped) return;
    chunks.push(chunk);
    have += chunk.length;
    for (;;) {
      if (need < 0) {
        if (have < 4) return;
        if (chunks[0].length < 4) chunks = [Buffer.concat(chunks)];
        need = chunks[0].readUInt32LE(0);
        chunks[0] = chunks[0].subarray(4);
        have -= 4;
        if (need > maxBytes) {
          stopped = true;
          chunks = [];
          onTooLarge(need);
          return;
        }
      }
      if (have < need) return;
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, have);
      const body = all.subarray(0, need);
      const rest = all.subarray(need);
      have -= need;
      need = -1;
      chunks = rest.length > 0 ? [rest] : [];
      onFrame(body);
    }
  };
}

/**
 * A writer that coalesces: frames written in one tick leave in one `write` (cork/uncork, a single
 * writev), which is what a tuned stream protocol does with many small replies.
 */
export function frameWriter(socket) {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return (body) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    // A small frame is copied behind its length (one writev entry); a big one is not copied.
    if (body.length < 16 * 1024) {
      const frame = Buffer.allocUnsafe(4 + body.length);
      frame.writeUInt32LE(body.length, 0);
      body.copy(frame, 4);
      socket.write(frame);
      return;
    }
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(body.length, 0);
    socket.write(head);
    socket.write(body);
  };
}
