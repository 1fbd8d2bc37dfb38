/**
 * The code of the parent watch's thread. It runs in a `worker_thread` so that a synchronous
 * handler blocking the main thread cannot keep an orphaned worker alive: this thread polls the
 * parent on its own event loop and, if the main thread does not finish the exit itself within a
 * short grace, removes the private channel and SIGKILLs the process group (or just this process)
 * from here. `process.exit` in a thread would only end the thread, hence the signal.
 *
 * It is source text run with `eval: true`, not a file: the built package is bundled (ESM and CJS)
 * and run from source under tsx in tests, and a string needs no path that works in all three.
 * Only `node:` built-ins are used, so the thread loads nothing of ours.
 */

/** What the main thread hands over in `workerData`. */
export interface WatchThreadData {
  parentPid: number;
  /** Our `process.ppid` at the start when it was the parent itself: a change means it died. */
  directParent: boolean;
  /**
   * More processes whose end also means ours: under a public parent that spawned us through
   * `/bin/sh -c` (the JS peer), the shell outlives a SIGKILLed parent, so its parent is watched too.
   */
  alsoPids?: number[];
  intervalMs: number;
  /** Unset: only tell the main thread (the user owns the process, `exitOnStop: false`). */
  hardExit?: {
    graceMs: number;
    killGroup: boolean;
    channel?: { socket: string; dir: string };
  };
}

/** Posted to the main thread once, when the parent is found gone. */
export const PARENT_GONE = 'parent-gone';

export const WATCH_THREAD_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { parentPid, directParent, intervalMs, hardExit } = workerData;
const alsoPids = workerData.alsoPids || [];
const startPpid = process.ppid;

function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  // A killed parent stays a zombie until it is reaped, and kill(pid, 0) still succeeds on it.
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    return err.code !== 'ENOENT';
  }
}

function exitNow() {
  const channel = hardExit.channel;
  if (channel) {
    try {
      fs.unlinkSync(channel.socket);
      fs.rmdirSync(channel.dir);
    } catch {}
  }
  try {
    process.kill(hardExit.killGroup ? -process.pid : process.pid, 'SIGKILL');
  } catch {
    process.kill(process.pid, 'SIGKILL');
  }
}

const timer = setInterval(() => {
  if (alive(parentPid) && !(directParent && process.ppid !== startPpid) && alsoPids.every(alive)) return;
  clearInterval(timer);
  parentPort.postMessage('${PARENT_GONE}');
  if (hardExit) setTimeout(exitNow, hardExit.graceMs);
}, intervalMs);
`;
