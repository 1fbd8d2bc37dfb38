/**
 * Spawn mode: a worker must not outlive its parent
 * ([docs/spawn-mode.md](../../../docs/spawn-mode.md#ending)), even when the parent was SIGKILLed
 * and could not clean up, and even while a synchronous handler blocks the main thread. The PID is
 * polled from a `worker_thread` (parent-watch-thread.ts): the main thread is told first, so a
 * free one stops the usual way, and the thread itself ends the process if it is not gone soon after.
 */
import { Worker } from 'node:worker_threads';
import { readProcStat } from '@multifrost/protocol/internal';
import { PARENT_GONE, WATCH_THREAD_SOURCE, type WatchThreadData } from './parent-watch-thread.js';

/** How long the main thread gets to exit by itself before the watch thread kills the process. */
export const HARD_EXIT_GRACE_MS = 250;

export interface ParentWatchOptions {
  intervalMs: number;
  /** Kill the process from the thread when the main thread is stuck; off when the user owns the process. */
  hardExit?: { killGroup: boolean; channel?: { socket: string; dir: string } };
  /** Other processes whose end also ends us (see WatchThreadData.alsoPids). */
  alsoPids?: number[];
}

export function watchParent(parentPid: number, options: ParentWatchOptions, onGone: () => void): () => void {
  const data: WatchThreadData = {
    parentPid,
    // Not only `process.ppid`: a launcher such as the tsx CLI may sit between the parent and us.
    directParent: process.ppid === parentPid,
    alsoPids: options.alsoPids,
    intervalMs: options.intervalMs,
    hardExit: options.hardExit && { graceMs: HARD_EXIT_GRACE_MS, ...options.hardExit },
  };
  const thread = new Worker(WATCH_THREAD_SOURCE, {
    eval: true,
    workerData: data,
    // The thread needs no stdio of its own, and must not take a share of ours.
    stdout: true,
    stderr: true,
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
  let done = false;
  thread.on('message', (msg) => {
    if (msg !== PARENT_GONE || done) return;
    done = true;
    onGone();
  });
  // A thread that cannot start must not take the worker down; the worker then runs unwatched.
  thread.on('error', () => {});
  thread.unref();
  return () => {
    done = true;
    void thread.terminate();
  };
}

/** True when this process leads its own process group (the parent spawns us `detached`). */
export function leadsProcessGroup(): boolean {
  return readProcStat('self')?.pgrp === process.pid;
}
