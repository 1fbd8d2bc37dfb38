/**
 * The private spawn channel's choice (platform, executable, option, transport) and its directory:
 * 0700 whatever the umask, short enough for a Unix socket path, and gone after close, a failed
 * start, and a parent that exits without close().
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCommand, tsxLoaderUrl } from '../src/command.js';
import { chooseChannel, pickBaseDir, PrivateChannel, socketPathLimit } from '../src/private-channel.js';
import { spawnPlan } from '../src/spawn-supervisor.js';
import { ParentWorker } from '../src/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mf-chan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(
  script: string,
  executable?: string,
  extra: { customTransport?: boolean; platform?: NodeJS.Platform } = {},
) {
  const scriptPath = path.join(dir, script);
  return {
    command: resolveCommand(scriptPath, executable, [], dir),
    executable,
    scriptPath,
    customTransport: extra.customTransport ?? false,
    ...(extra.platform ? { platform: extra.platform } : {}),
  };
}

describe('chooseChannel', () => {
  it("'auto' picks private for Node/tsx workers and TCP for everything else", () => {
    for (const s of ['w.ts', 'w.mts', 'w.js', 'w.mjs', 'w.cjs'])
      expect(chooseChannel('auto', ctx(s)).channel, s).toBe('private');
    expect(chooseChannel(undefined, ctx('w.ts')).channel).toBe('private');
    expect(chooseChannel('auto', ctx('w.js', 'node')).channel).toBe('private');
    expect(chooseChannel('auto', ctx('w.js', process.execPath)).channel).toBe('private');
    expect(chooseChannel('auto', ctx('w.ts', 'tsx')).channel).toBe('private');
    // Python and other executables may be public peers that read only COMLINK_ZMQ_PORT.
    expect(chooseChannel('auto', ctx('w.py')).channel).toBe('tcp');
    expect(chooseChannel('auto', ctx('w.py', '/usr/bin/python3')).channel).toBe('tcp');
    expect(chooseChannel('auto', ctx('w.js', '/usr/bin/ruby')).channel).toBe('tcp');
  });

  it("'auto' stays on TCP on Windows and with a custom transport", () => {
    expect(chooseChannel('auto', ctx('w.ts', undefined, { platform: 'win32' })).channel).toBe('tcp');
    expect(chooseChannel('auto', ctx('w.ts', undefined, { customTransport: true })).channel).toBe('tcp');
  });

  it("an explicit option wins; 'private' on Windows and unknown values are refused", () => {
    expect(chooseChannel('private', ctx('w.py'))).toMatchObject({ channel: 'private', explicit: true });
    expect(chooseChannel('auto', ctx('w.ts')).explicit).toBe(false);
    expect(chooseChannel('tcp', ctx('w.ts')).channel).toBe('tcp');
    expect(() => chooseChannel('private', ctx('w.ts', undefined, { platform: 'win32' }))).toThrow(/win32/);
    expect(() => chooseChannel('udp' as 'tcp', ctx('w.ts'))).toThrow(/'private', 'tcp' or 'auto'/);
  });

  it('spawnPlan reads the option and tells a custom TransportFactory apart from ZeroMQ options', () => {
    const script = path.join(dir, 'p.ts');
    writeFileSync(script, '');
    expect(spawnPlan(script, {}, {}).plan.channel?.channel).toBe('private');
    expect(spawnPlan(script, { channel: 'tcp' }, {}).plan.channel?.channel).toBe('tcp');
    expect(spawnPlan(script, { transport: { host: '127.0.0.1' } }, {}).plan.channel?.channel).toBe('private');
    const factory = { name: 'test', caller: () => undefined as never, service: () => undefined as never };
    expect(spawnPlan(script, { transport: factory }, {}).plan.channel?.channel).toBe('tcp');
  });
});

describe('PrivateChannel', () => {
  it('makes a fresh 0700 directory even under umask 0, and removes it', () => {
    const old = process.umask(0);
    let made: ReturnType<typeof PrivateChannel.create>;
    try {
      made = PrivateChannel.create();
    } finally {
      process.umask(old);
    }
    const channel = made.channel!;
    expect(channel).toBeDefined();
    expect(statSync(channel.dir).mode & 0o777).toBe(0o700);
    expect(path.basename(channel.dir)).toMatch(/^multifrost-/);
    expect(channel.endpoint).toBe(`ipc://${path.join(channel.dir, 'w.sock')}`);
    expect(Buffer.byteLength(channel.socketPath)).toBeLessThanOrEqual(socketPathLimit());
    const other = PrivateChannel.create().channel!;
    expect(other.dir).not.toBe(channel.dir);
    channel.remove();
    other.remove();
    channel.remove(); // idempotent
    expect(existsSync(channel.dir)).toBe(false);
    expect(existsSync(other.dir)).toBe(false);
  });

  it('falls back to a shorter base directory when the socket path would be too long, or gives up with a reason', () => {
    const long = path.join(dir, 'x'.repeat(90));
    expect(pickBaseDir([long, '/tmp'], 107)).toBe('/tmp');
    expect(pickBaseDir(['/tmp'], 107)).toBe('/tmp');
    const made = PrivateChannel.create([long], 107);
    expect(made.channel).toBeUndefined();
    expect((made as { reason: string }).reason).toMatch(/107 bytes/);
  });

  it('a parent that exits without close() leaves no directory behind', () => {
    const script = path.join(dir, 'exits.mjs');
    const url = new URL('../src/private-channel.ts', import.meta.url).href;
    writeFileSync(
      script,
      `const { PrivateChannel } = await import(${JSON.stringify(url)});\n` +
        'const c = PrivateChannel.create().channel;\nconsole.log(c.dir);\nprocess.exit(0);\n',
    );
    const out = execFileSync(process.execPath, ['--import', tsxLoaderUrl(), script], { encoding: 'utf8' }).trim();
    expect(out).toMatch(/multifrost-/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('spawn() over the private channel', () => {
  it('hands the worker only MULTIFROST_ENDPOINT, and removes the directory after a failed start', async () => {
    const report = path.join(dir, 'never-env.json');
    const script = path.join(dir, 'never.mjs');
    // Records what it was given, then never answers, so spawn() fails with START_FAILED.
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';\n` +
        `writeFileSync(${JSON.stringify(report)}, JSON.stringify({ endpoint: process.env.MULTIFROST_ENDPOINT ?? null, port: process.env.COMLINK_ZMQ_PORT ?? null }));\n` +
        'setInterval(() => {}, 1000);\n',
    );
    const err = await ParentWorker.spawn(script, {
      startTimeoutMs: 1_500,
      output: 'ignore',
      // A stale port in our own environment must not reach the worker either.
      env: { COMLINK_ZMQ_PORT: '4242' },
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('START_FAILED');
    expect((err as Error).message).toContain("needs { channel: 'tcp' }");
    const seen = JSON.parse(readFileSync(report, 'utf8')) as { endpoint: string | null; port: string | null };
    expect(seen.port).toBeNull();
    expect(seen.endpoint).toMatch(/^ipc:\/\/.*\/multifrost-[^/]+\/w\.sock$/);
    const channelDir = path.dirname(seen.endpoint!.slice('ipc://'.length));
    expect(existsSync(channelDir)).toBe(false);
  });
});
