// The tuned send path of the ZeroMQ baselines: a queue drained with sends at socket timeout 0
// (zeromq.js then skips its writability check), falling back to a short wait only on EAGAIN.

/** Returns `post(frames)`; the socket must have been made with `sendTimeout: 0`. */
export function zmqWriter(socket) {
  const queue = [];
  let pumping = false;
  const pump = async () => {
    pumping = true;
    try {
      while (queue.length > 0) {
        try {
          await socket.send(queue[0]);
          queue.shift();
        } catch (err) {
          if (err?.code !== 'EAGAIN') throw err;
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    } catch {
      queue.length = 0; // socket closed: nothing more will leave
    } finally {
      pumping = false;
    }
  };
  return (frames) => {
    queue.push(frames);
    if (!pumping) void pump();
  };
}
