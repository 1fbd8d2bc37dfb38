/**
 * One spawned worker process: started without a shell in its own process group (so a signal
 * reaches the worker and everything it started, not just a launcher), its pipes drained into the
 * output sink, its exit observed at once, and killed on our own exit so nothing is orphaned.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ENV_ENDPOINT, ENV_PARENT_PID, ENV_PORT, ENV_WORKER_MODE, MultifrostError } from '@multifrost/protocol';
import type { Command } from './command.js';
import type { OutputSink } from './output-sink.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number | undefined;
}

const live = new Set<WorkerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort when the parent exits without close(): no worker outlives us.
  process.on('exit', () => {
    for (const w of live) w.killGroup('SIGKILL');
  });
}

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exitInfo: ExitInfo | undefined;
  readonly exited: Promise<ExitInfo>;
  private resolveExit!: (info: ExitInfo) => void;

  constructor(
    private readonly command: Command,
    private readonly options: { cwd: string; env: NodeJS.ProcessEnv; endpoint: string; port: number | undefined },
    private readonly sink: OutputSink,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Spawns the process; rejects if the OS refuses (ENOENT, EACCES). */
  start(): Promise<void> {
    installExitHook();
    const env: NodeJS.ProcessEnv = {
      PYTHONUNBUFFERED: '1',
      ...this.options.env,
      // The port is the public peers' contract (TCP only); the endpoint serves any transport.
      ...(this.options.port !== undefined ? { [ENV_PORT]: String(this.options.port) } : {}),
      [ENV_ENDPOINT]: this.options.endpoint,
      [ENV_WORKER_MODE]: '1',
      [ENV_PARENT_PID]: String(process.pid),
    };
    // No port of ours: a stale one inherited from our own environment would point the worker elsewhere.
    if (this.options.port === undefined) delete env[ENV_PORT];
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(this.command.file, this.command.args, {
          cwd: this.options.cwd,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
          windowsHide: true,
        });
      } catch (err) {
        reject(this.startError(err));
        return;
      }
      this.child = child;
      live.add(this);
      this.sink.attach(child.stdout!, 'stdout');
      this.sink.attach(child.stderr!, 'stderr');
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        resolve();
      });
      child.once('error', (err) => {
        if (spawned) return;
        // Never started: there is no process to wait for.
        live.delete(this);
        this.exitInfo = { code: null, signal: null, pid: undefined };
        this.resolveExit(this.exitInfo);
        reject(this.startError(err));
      });
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal, pid: child.pid };
        live.delete(this);
        // The worker is gone; take down anything it left in its group.
        this.killGroup('SIGKILL');
        this.resolveExit(this.exitInfo);
      });
    });
  }

  private startError(err: unknown): MultifrostError {
    const e = err as NodeJS.ErrnoException;
    const cmd = [this.command.file, ...this.command.args].join(' ');
    return new MultifrostError('START_FAILED', `Could not start worker: ${cmd}: ${e.message ?? String(err)}`, {
      cause: err,
    });
  }

  /** Signals the worker's whole process group; falls back to the process alone. Never throws. */
  killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      if (this.exitInfo) return;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** Resolves when the process has exited, or after `ms` (then with undefined). */
  async waitExit(ms: number): Promise<ExitInfo | undefined> {
    if (this.exitInfo) return this.exitInfo;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms), undefined)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
