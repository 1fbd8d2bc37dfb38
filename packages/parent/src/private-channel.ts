/**
 * The private spawn channel: an `ipc://` socket inside a fresh directory only our account can
 * enter (0700), so no other local account can connect to a spawned worker's endpoint, take its
 * calls or forge its replies. Which workers get it (`chooseChannel`), making the directory, and
 * removing it on every way out, including our own exit without close().
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MultifrostError } from '@multifrost/protocol';
import type { Command } from './command.js';

export type SpawnChannel = 'private' | 'tcp' | 'auto';

export interface ChannelChoice {
  channel: 'private' | 'tcp';
  /** Why, for the debug line. */
  reason: string;
  /** The user asked for this channel by name (then a private channel that cannot be made is an error). */
  explicit: boolean;
}

export interface ChannelContext {
  command: Command;
  /** The executable the user passed, if any. */
  executable: string | undefined;
  /** The script, resolved. */
  scriptPath: string;
  /** True when the user passed their own TransportFactory (which may not speak ipc://). */
  customTransport: boolean;
  platform?: NodeJS.Platform;
}

const NODE_SCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs']);
const NODE_LAUNCHERS = new Set(['node', 'nodejs', 'tsx']);

/**
 * A worker run by Node (or tsx) from a JS/TS script is our own child, which reads
 * MULTIFROST_ENDPOINT. Anything else may be a public peer that only knows COMLINK_ZMQ_PORT.
 */
function isNodeWorker(ctx: ChannelContext): boolean {
  if (!NODE_SCRIPT.has(path.extname(ctx.scriptPath).toLowerCase())) return false;
  if (ctx.executable === undefined) return ctx.command.file === process.execPath;
  if (ctx.command.file === process.execPath) return true;
  const base = path.basename(ctx.executable).replace(/\.exe$/i, '');
  return NODE_LAUNCHERS.has(base) || /^node\d+$/.test(base);
}

export function supportsIpc(platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'win32';
}

/** Decides the channel of one spawn; throws INVALID_ARGUMENT for a value it does not know or a platform without ipc. */
export function chooseChannel(option: SpawnChannel | undefined, ctx: ChannelContext): ChannelChoice {
  const value = option ?? 'auto';
  const platform = ctx.platform ?? process.platform;
  switch (value) {
    case 'tcp':
      return { channel: 'tcp', reason: "channel: 'tcp'", explicit: true };
    case 'private':
      if (!supportsIpc(platform)) {
        throw new MultifrostError(
          'INVALID_ARGUMENT',
          `channel: 'private' needs ipc:// sockets, which ${platform} does not have; use channel: 'tcp' or 'auto'`,
        );
      }
      return { channel: 'private', reason: "channel: 'private'", explicit: true };
    case 'auto':
      if (!supportsIpc(platform)) return { channel: 'tcp', reason: `no ipc:// on ${platform}`, explicit: false };
      if (ctx.customTransport)
        return { channel: 'tcp', reason: 'a custom transport binds its own endpoint', explicit: false };
      if (!isNodeWorker(ctx))
        return { channel: 'tcp', reason: 'not a Node worker (may read only COMLINK_ZMQ_PORT)', explicit: false };
      return { channel: 'private', reason: 'Node worker', explicit: false };
    default:
      throw new MultifrostError(
        'INVALID_ARGUMENT',
        `channel must be 'private', 'tcp' or 'auto', got ${JSON.stringify(value)}`,
      );
  }
}

/** Linux's sun_path holds 108 bytes with the NUL, the BSDs' and macOS's 104. */
export function socketPathLimit(platform: NodeJS.Platform = process.platform): number {
  return platform === 'linux' ? 107 : 103;
}

const SOCKET_NAME = 'w.sock';
/** What mkdtemp appends to the prefix. */
const RANDOM_SUFFIX = 6;

/** The first base directory under which `<base>/multifrost-XXXXXX/w.sock` fits the socket path limit. */
export function pickBaseDir(candidates: string[], limit: number): string | undefined {
  for (const base of candidates) {
    const longest = path.join(base, `multifrost-${'X'.repeat(RANDOM_SUFFIX)}`, SOCKET_NAME);
    if (Buffer.byteLength(longest) <= limit) return base;
  }
  return undefined;
}

const live = new Set<PrivateChannel>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A parent that exits without close() still leaves no directory behind.
  process.on('exit', () => {
    for (const c of live) c.remove();
  });
}

export class PrivateChannel {
  private removed = false;

  private constructor(
    readonly dir: string,
    readonly socketPath: string,
  ) {}

  get endpoint(): string {
    return `ipc://${this.socketPath}`;
  }

  /**
   * Makes a fresh 0700 directory for the socket, or returns undefined (with why) when no base
   * directory gives a short enough path.
   */
  static create(
    baseDirs: string[] = [os.tmpdir(), '/tmp'],
    limit: number = socketPathLimit(),
  ): { channel: PrivateChannel } | { channel: undefined; reason: string } {
    const base = pickBaseDir(baseDirs, limit);
    if (base === undefined) {
      return {
        channel: undefined,
        reason: `no temp directory gives an ipc socket path within ${limit} bytes (tried ${baseDirs.join(', ')})`,
      };
    }
    const dir = mkdtempSync(path.join(base, 'multifrost-'));
    try {
      // mkdtemp already asks for 0700, but under the umask; say it outright so nothing else decides.
      chmodSync(dir, 0o700);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const channel = new PrivateChannel(dir, path.join(dir, SOCKET_NAME));
    installExitHook();
    live.add(channel);
    return { channel };
  }

  get isRemoved(): boolean {
    return this.removed;
  }

  /** Removes the directory and the socket in it. Idempotent, never throws. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    live.delete(this);
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // Nothing more we can do; the directory is ours and 0700, so it gives nobody a way in.
    }
  }
}
