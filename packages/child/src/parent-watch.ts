/**
 * Spawn mode: a worker must not outlive its parent ([docs/spawn-mode.md](../../../docs/spawn-mode.md#ending)), even when the parent was
 * SIGKILLed and could not clean up. Polls the parent PID and reports its death once.
 */
import { readFileSync } from 'node:fs';
import { isPidAlive } from '@multifrost/registry';

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
  try {
    // /proc/self/stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces, so split after ')'.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]) === process.pid;
  } catch {
    return false;
  }
}
