/**
 * Spawn mode: launches the worker process on our bound endpoint, waits for its first heartbeat
 * reply, notices its exit, restarts it with exponential backoff when asked to, and on close
 * escalates from a shutdown message to SIGTERM and then SIGKILL of the worker's process GROUP (so
 * whatever the worker started goes too, not just a launcher such as tsx).
 */
import path from 'node:path';
import { createShutdown, MultifrostError } from '@multifrost/protocol';
import { createDebug } from '@multifrost/protocol/internal';
import { resolveCommand, type Command } from './command.js';
import { chooseChannel, PrivateChannel, type ChannelChoice } from './private-channel.js';
import { durationMs, restartOptions } from './durations.js';
import * as messages from './messages.js';
import type { RestartOptions, SpawnOptions } from './options.js';
import { resolveScriptPath } from './script-path.js';
import { waitUntilAnswering } from './readiness.js';
import type { WorkerHost, WorkerStrategy } from './strategy.js';
import { WorkerProcess, type ExitInfo } from './worker-process.js';

const debug = createDebug('multifrost:parent');

export interface SpawnPlan {
  command: Command;
  cwd: string;
  env: NodeJS.ProcessEnv;
  startTimeoutMs: number;
  closeGraceMs: number;
  autoRestart: RestartOptions | undefined;
  /** Private ipc:// channel or TCP, decided once from the options, the command and the platform; absent means TCP. */
  channel?: ChannelChoice;
}

/** Reads spawn()'s arguments: the script path (URL, absolute, or relative to `cwd`), the command, the limits. */
export function spawnPlan(
  script: string | URL,
  executableOrOptions: string | SpawnOptions | undefined,
  maybeOptions: SpawnOptions,
): { options: SpawnOptions; plan: SpawnPlan; name: string } {
  const options: SpawnOptions =
    typeof executableOrOptions === 'string'
      ? { ...maybeOptions, executable: executableOrOptions }
      : { ...(executableOrOptions ?? {}) };
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const scriptPath = resolveScriptPath(script, cwd);
  // `spawn('./tool', './tool')`: the script is its own executable.
  const executable =
    options.executable !== undefined && options.executable === String(script) ? scriptPath : options.executable;
  const command = resolveCommand(scriptPath, executable, options.args ?? [], cwd);
  const transport = options.transport;
  const plan: SpawnPlan = {
    command,
    cwd,
    env: { ...process.env, ...options.env },
    startTimeoutMs: durationMs(options.startTimeoutMs, 'startTimeoutMs', 30_000),
    closeGraceMs: durationMs(options.closeGraceMs, 'closeGraceMs', 5_000),
    autoRestart: options.autoRestart
      ? restartOptions(options.autoRestart === true ? {} : options.autoRestart)
      : undefined,
    channel: chooseChannel(options.channel, {
      command,
      executable,
      scriptPath,
      customTransport: transport !== undefined && 'caller' in transport,
    }),
  };
  return { options, plan, name: path.basename(scriptPath) };
}

export class SpawnSupervisor implements WorkerStrategy {
  readonly mode = 'spawn';
  private proc: WorkerProcess | undefined;
  private lastExit: ExitInfo | undefined;
  private endpoint = '';
  private restartAttempts = 0;
  /** The 0700 directory of our ipc socket; kept across restarts (the endpoint stays bound), removed on close. */
  private privateChannel: PrivateChannel | undefined;

  constructor(
    private readonly host: WorkerHost,
    private readonly plan: SpawnPlan,
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    this.endpoint = await this.bindEndpoint();
    await this.launch();
  }

  /** The private ipc:// endpoint when the plan says so and the platform allows it, else any free TCP port. */
  private async bindEndpoint(): Promise<string> {
    const { host, plan } = this;
    if (plan.channel?.channel !== 'private') {
      debug('%s: TCP channel (%s)', host.name, plan.channel?.reason ?? 'default');
      return this.bindTcp();
    }
    let made: ReturnType<typeof PrivateChannel.create>;
    try {
      made = PrivateChannel.create();
    } catch (err) {
      made = { channel: undefined, reason: `could not make the channel directory: ${(err as Error).message}` };
    }
    if (!made.channel) {
      // Asked for outright, the private channel is a promise we must not quietly break.
      if (plan.channel.explicit) {
        throw new MultifrostError('START_FAILED', `${host.name}: no private channel: ${made.reason}`);
      }
      debug('%s: TCP channel: %s', host.name, made.reason);
      return this.bindTcp();
    }
    this.privateChannel = made.channel;
    try {
      const endpoint = await host.transport.bind(made.channel.endpoint);
      debug('%s: private channel %s (%s)', host.name, endpoint, plan.channel.reason);
      return endpoint;
    } catch (err) {
      this.removePrivateChannel();
      throw err;
    }
  }

  /**
   * Any local account can connect to a loopback port, and our DEALER would share calls with it, so
   * the port serves one connection at a time: the worker's. When it goes (exit, restart, a ZMTP
   * drop), the next connection is admitted; see docs/security.md.
   */
  private bindTcp(): Promise<string> {
    return this.host.transport.bind(undefined, { acceptOnlyFirstPeer: true });
  }

  private removePrivateChannel(): void {
    this.privateChannel?.remove();
    this.privateChannel = undefined;
  }

  async abortStart(): Promise<void> {
    try {
      if (this.proc && !this.proc.hasExited) {
        this.proc.killGroup('SIGKILL');
        await this.proc.waitExit(2000);
      }
    } finally {
      this.removePrivateChannel();
    }
  }

  unresponsive(misses: number): void {
    const { host } = this;
    // A live process that stopped answering on a live link (stopped, or busy) is left to its
    // calls' timeouts and the circuit breaker.
    if (host.transport.connectedPeers > 0) return;
    // No link at all for the whole heartbeat window: libzmq gave the connection up (an over-size
    // frame is a protocol error it does not reconnect after) and nothing will answer these calls.
    const restarting = this.plan.autoRestart !== undefined && this.proc !== undefined && !this.proc.hasExited;
    host.failInFlight((fn) => messages.linkLostInFlight(host.name, fn, misses, restarting), false);
    if (restarting) {
      debug('%s: no connection for %d heartbeats; restarting pid %d', host.name, misses, String(this.proc!.pid));
      this.proc!.killGroup('SIGKILL'); // its exit runs the restart loop
    }
  }

  async close(): Promise<void> {
    try {
      await this.stopProcess();
    } finally {
      this.removePrivateChannel();
    }
  }

  private async stopProcess(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.hasExited) return;
    const grace = this.plan.closeGraceMs;
    const t0 = Date.now();
    // Graceful first: the worker finishes in-flight calls (whose replies we still read), then exits.
    this.host.transport.send(createShutdown(this.host.app)).catch(() => {});
    let info = await proc.waitExit(grace * 0.6);
    if (!info) {
      proc.killGroup('SIGTERM');
      info = await proc.waitExit(grace - (Date.now() - t0));
    }
    if (!info) {
      proc.killGroup('SIGKILL');
      await proc.waitExit(1_000);
    }
  }

  notRunning(fn?: string): MultifrostError {
    return messages.notRunning(this.host.name, this.lastExit, this.plan.autoRestart !== undefined, fn);
  }

  /** Spawns a process on our endpoint and waits for its first heartbeat reply. */
  private async launch(): Promise<void> {
    const { host, plan } = this;
    host.sink.resetStderr();
    const proc = new WorkerProcess(
      plan.command,
      {
        cwd: plan.cwd,
        env: plan.env,
        endpoint: this.endpoint,
        // Over the private channel there is no port to hand out: nothing listens on TCP.
        port: this.privateChannel ? undefined : host.transport.port,
      },
      host.sink,
    );
    this.proc = proc;
    void proc.exited.then((info) => this.onExit(proc, info));
    await proc.start();
    debug('%s: spawned pid %d (%s)', host.name, String(proc.pid), [plan.command.file, ...plan.command.args].join(' '));
    await waitUntilAnswering(
      host,
      Date.now() + plan.startTimeoutMs,
      plan.startTimeoutMs,
      () =>
        messages.spawnSilent(plan.startTimeoutMs) +
        (this.privateChannel
          ? `. It was given the private channel (MULTIFROST_ENDPOINT=${this.endpoint}, no COMLINK_ZMQ_PORT): ` +
            "a worker that reads only COMLINK_ZMQ_PORT needs { channel: 'tcp' }"
          : ''),
      proc.exited,
    );
  }

  private onExit(proc: WorkerProcess, info: ExitInfo): void {
    if (proc !== this.proc) return;
    this.lastExit = info;
    debug('%s: process %d %s', this.host.name, String(info.pid), messages.exitText(info));
    this.host.exited(info);
    if (!this.host.ready) return; // start, restart and close handle their own exits
    const restart = this.plan.autoRestart;
    this.host.lost(info, restart !== undefined);
    if (restart) void this.restartLoop(restart);
  }

  private async restartLoop(options: RestartOptions): Promise<void> {
    const { host } = this;
    const maxAttempts = options.maxAttempts ?? 5;
    const initial = options.initialDelayMs ?? 100;
    const maxDelay = options.maxDelayMs ?? 5_000;
    let lastError: unknown;
    while (!host.closing) {
      this.restartAttempts++;
      if (this.restartAttempts > maxAttempts) break;
      await new Promise((r) => setTimeout(r, Math.min(maxDelay, initial * 2 ** (this.restartAttempts - 1))));
      if (host.closing) return;
      try {
        host.metrics.restarts++;
        await this.launch();
        if (host.closing) return;
        const attempt = this.restartAttempts;
        this.restartAttempts = 0;
        host.restarted(attempt, this.proc?.pid);
        return;
      } catch (err) {
        lastError = err;
        debug('%s: restart attempt %d failed: %s', host.name, String(this.restartAttempts), String(err));
        if (this.proc && !this.proc.hasExited) this.proc.killGroup('SIGKILL');
      }
    }
    if (host.closing) return;
    host.restartFailed(messages.restartGaveUp(host.name, maxAttempts, lastError));
  }
}
