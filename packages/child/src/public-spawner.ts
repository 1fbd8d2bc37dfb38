/**
 * Spawn mode under a parent that is not ours (no `MULTIFROST_PARENT_PID`: the public Python, JS,
 * Go and Rust parents never set it). Who to watch is inferred from the process tree, and the
 * spawn-mode connection itself is a second witness: see docs/spawn-mode.md#public-parents.
 */
import { readFileSync } from 'node:fs';
import { readProcStat } from '@multifrost/protocol/internal';

/** Shells a parent may have put between itself and us (the public JS parent uses `shell: true`). */
const SHELLS = new Set(['sh', 'dash', 'bash', 'ash', 'zsh', 'ksh', 'busybox']);

/**
 * With no connection to the parent for this long, the parent is taken to be gone. Public parents
 * heartbeat every 5 s and give up after 3 misses; a link that is down (not merely quiet) for as
 * long has no parent left to come back.
 */
export const PUBLIC_PARENT_LINK_WINDOW_MS = 15_000;

export interface SpawnerWatch {
  /** Our parent process at start (a change of `process.ppid` means it died). */
  parentPid: number;
  /** The shell wrapper's own parent, when our parent is a shell. */
  alsoPids: number[];
}

export function inferSpawner(ppid: number = process.ppid): SpawnerWatch {
  const alsoPids: number[] = [];
  if (SHELLS.has(commandName(ppid) ?? '')) {
    const above = readProcStat(ppid)?.ppid;
    // pid 1 (or a subreaper) adopting the shell is not a parent we could outlive.
    if (above !== undefined && above > 1) alsoPids.push(above);
  }
  return { parentPid: ppid, alsoPids };
}

function commandName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Calls `onGone` once the number of connected peers has stayed 0 for `windowMs`. Returns the
 * function that feeds it peer counts, and a stop function.
 */
export function linkWatch(
  windowMs: number,
  onGone: () => void,
): { peersChanged: (n: number) => void; stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const peersChanged = (n: number): void => {
    if (stopped) return;
    if (n > 0) {
      clearTimeout(timer);
      timer = undefined;
    } else if (timer === undefined) {
      timer = setTimeout(() => {
        stopped = true;
        onGone();
      }, windowMs);
      timer.unref();
    }
  };
  return {
    peersChanged,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
