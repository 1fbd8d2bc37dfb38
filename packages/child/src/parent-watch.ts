/**
 * Spawn mode: a worker must not outlive its parent
 * ([docs/spawn-mode.md](../../../docs/spawn-mode.md#ending)), even when the parent was SIGKILLed
 * and could not clean up. Polls the parent PID and reports its death once.
 */
import { readProcStat } from '@multifrost/protocol/internal';
import { isPidAlive } from '@multifrost/registry/internal';

export function watchParent(parentPid: number, intervalMs: number, onGone: () => void): () => void {
  const timer = setInterval(() => {
    // Not `process.ppid`: a launcher such as the tsx CLI may sit between the parent and us.
    if (!isPidAlive(parentPid)) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** True when this process leads its own process group (the parent spawns us `detached`). */
export function leadsProcessGroup(): boolean {
  return readProcStat('self')?.pgrp === process.pid;
}
