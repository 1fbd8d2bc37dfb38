/**
 * The worker's ties to its process: SIGINT/SIGTERM handlers that ask for a graceful stop (a
 * second signal while stopping exits at once), the spawn-mode watch on the parent's PID, and the
 * decision to exit once a stop that the user did not ask for is over. Everything else about
 * stopping (drain, flush, unregister, close) is the runtime's, so it can run without a process.
 */
import { createDebug } from '@multifrost/protocol/internal';
import { orphanedChannelPaths } from './orphaned-channel.js';
import { leadsProcessGroup, watchParent } from './parent-watch.js';

const debug = createDebug('multifrost:child');

export type StopReason = 'stop' | 'signal' | 'shutdown' | 'parent-gone';

export interface LifecycleOptions {
  /** Exit the process after a stop caused by a signal, `shutdown` or parent death. */
  exitOnStop: boolean;
  /** How often the parent watch polls. */
  parentCheckIntervalMs: number;
}

export class ProcessLifecycle {
  private readonly options: LifecycleOptions;
  /** Asks the runtime to stop; returns at once. */
  private readonly requestStop: (reason: StopReason) => void;
  private readonly isStopping: () => boolean;
  private signalHandler: ((signal: NodeJS.Signals) => void) | undefined;
  private stopWatchingParent: (() => void) | undefined;

  constructor(options: LifecycleOptions, requestStop: (reason: StopReason) => void, isStopping: () => boolean) {
    this.options = options;
    this.requestStop = requestStop;
    this.isStopping = isStopping;
  }

  handleSignals(): void {
    if (this.signalHandler) return;
    this.signalHandler = (signal) => {
      if (this.isStopping()) {
        // A second signal while stopping: the user wants out now.
        process.exit(1);
      }
      debug('received %s; stopping', signal);
      this.requestStop('signal');
    };
    process.on('SIGINT', this.signalHandler);
    process.on('SIGTERM', this.signalHandler);
  }

  /**
   * Spawn mode: a worker must not outlive its parent, even one that was SIGKILLed, even while a
   * synchronous handler runs. `endpoint` is the private channel to remove if the watch thread has
   * to end the process itself.
   */
  watchParent(parentPid: number, endpoint?: string, alsoPids?: number[]): void {
    const hardExit = this.options.exitOnStop
      ? { killGroup: leadsProcessGroup(), channel: orphanedChannelPaths(endpoint) }
      : undefined;
    this.stopWatchingParent ??= watchParent(
      parentPid,
      { intervalMs: this.options.parentCheckIntervalMs, hardExit, alsoPids },
      () => {
        debug('parent %d is gone; stopping', parentPid);
        this.requestStop('parent-gone');
      },
    );
  }

  /**
   * The parent is gone: nobody is left to receive replies, so with `exitOnStop` there is no grace
   * and no drain, and our own subprocesses go with us. Returns only when `exitOnStop` is off.
   */
  parentGone(): void {
    this.unwatchParent();
    if (!this.options.exitOnStop) return;
    if (leadsProcessGroup()) process.kill(-process.pid, 'SIGKILL');
    process.exit(0);
  }

  /** Takes the signal handlers and the parent watch out (the stop is over, or start failed). */
  release(): void {
    this.unwatchParent();
    if (!this.signalHandler) return;
    process.off('SIGINT', this.signalHandler);
    process.off('SIGTERM', this.signalHandler);
    this.signalHandler = undefined;
  }

  /** After a finished stop: exit, unless the user asked for it (they own the process) or opted out. */
  exitAfter(reason: StopReason): void {
    if (reason !== 'stop' && this.options.exitOnStop) process.exit(0);
  }

  private unwatchParent(): void {
    this.stopWatchingParent?.();
    this.stopWatchingParent = undefined;
  }
}
