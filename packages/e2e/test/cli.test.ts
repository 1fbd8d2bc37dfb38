// The `multifrost` command run from its built dist, as a user runs it, against a real
// connect-mode service registered in a temporary MULTIFROST_HOME.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, tempHome } from './helpers/workers.js';

const require = createRequire(import.meta.url);
const pkgJson = require.resolve('multifrost/package.json');
const cli = path.join(path.dirname(pkgJson), 'dist', 'cli.js');
const tsx = pathToFileURL(require.resolve('tsx')).href;
const SERVICE = 'cli-svc';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Asynchronous, so the test process keeps draining the service's pipes while the CLI runs. The
// kill is only a backstop: a command that hangs fails on its exit status, not on a clock.
function run(args: string[], home: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, MULTIFROST_HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const backstop = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(backstop);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('the multifrost command', () => {
  let home: string;
  let emptyHome: string;
  let service: ChildProcess;
  const removals: (() => void)[] = [];

  beforeAll(async () => {
    const a = tempHome();
    const b = tempHome();
    home = a.home;
    emptyHome = b.home;
    removals.push(a.cleanup, b.cleanup);
    service = spawn(process.execPath, ['--import', tsx, fixture('cli-service.ts')], {
      env: { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: SERVICE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let early = '';
    await new Promise<void>((resolve, reject) => {
      service.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
      service.stderr!.setEncoding('utf8').on('data', (d: string) => (early += d));
      service.on('exit', (code) => reject(new Error(`cli-service exited with ${code} before it was ready: ${early}`)));
    });
  });

  afterAll(async () => {
    if (service.exitCode === null && service.signalCode === null) {
      const exited = new Promise((r) => service.once('exit', r));
      service.kill('SIGKILL');
      await exited;
    }
    for (const rm of removals) rm();
  });

  describe('help, version and usage errors', () => {
    it.each([['--help'], ['-h'], ['help'], ['help', 'call'], ['call', '--help'], ['list', '-h']])(
      '%s prints usage to stdout and exits 0',
      async (...args) => {
        const r = await run(args, emptyHome);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^usage:|\nusage:/);
        expect(r.stderr).toBe('');
      },
    );

    it('names MULTIFROST_HOME and --registry-dir in the overview, and each command has its own page', async () => {
      const overview = (await run(['--help'], emptyHome)).stdout;
      expect(overview).toContain('MULTIFROST_HOME');
      expect(overview).toContain('--registry-dir');
      expect((await run(['help', 'call'], emptyHome)).stdout).toContain('--string-args');
      expect((await run(['functions', '--help'], emptyHome)).stdout).toMatch(/^usage: multifrost functions/);
    });

    it('--version prints the version in the package.json', async () => {
      const version = (require(pkgJson) as { version: string }).version;
      for (const flag of ['--version', '-v']) {
        const r = await run([flag], emptyHome);
        expect(r.status).toBe(0);
        expect(r.stdout).toBe(`${version}\n`);
      }
    });

    it.each([
      [[], /usage:/],
      [['bogus'], /multifrost: unknown command 'bogus'/],
      [['list', '--nope'], /Unknown option '--nope'/],
      [['call', SERVICE], /call needs a <service-id> and a <function>/],
      [['functions'], /functions needs exactly one <service-id>/],
      [
        ['call', SERVICE, 'add', '--timeout', 'soon'],
        /--timeout needs a positive whole number of milliseconds, got 'soon'/,
      ],
      [['list', '--timeout', '100'], /--timeout applies to call and functions/],
      [['help', 'bogus'], /no help for 'bogus'/],
    ])('%j is a usage error: exit 2, a message on stderr, nothing on stdout', async (args, message) => {
      const r = await run(args, home);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    });
  });

  describe('list', () => {
    it('prints an aligned table, and a JSON array with --json', async () => {
      const table = await run(['list'], home);
      expect(table.status).toBe(0);
      const [header, row, ...more] = table.stdout.trimEnd().split('\n');
      expect(more).toEqual([]);
      expect(header).toMatch(/^SERVICE\s+PORT\s+PID\s+STARTED$/);
      expect(row!.split(/\s+/).slice(0, 3)).toEqual([SERVICE, expect.stringMatching(/^\d+$/), String(service.pid)]);
      // Aligned: every column starts at the same offset in the header and the row.
      expect(row!.indexOf(String(service.pid))).toBe(header!.indexOf('PID'));

      const json = await run(['list', '--json'], home);
      expect(json.status).toBe(0);
      const entries = JSON.parse(json.stdout) as { serviceId: string; port: number; pid: number; started: string }[];
      expect(entries).toEqual([
        { serviceId: SERVICE, port: expect.any(Number), pid: service.pid, started: expect.any(String) },
      ]);
    });

    it('with no services: nothing on stdout and a note on stderr, or [] with --json', async () => {
      const r = await run(['list'], emptyHome);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/no live services registered in .*services\.json/);
      const json = await run(['list', '--json'], emptyHome);
      expect(JSON.parse(json.stdout)).toEqual([]);
    });

    it('--registry-dir overrides MULTIFROST_HOME', async () => {
      const r = await run(['list', '--json', '--registry-dir', home], emptyHome);
      expect((JSON.parse(r.stdout) as { serviceId: string }[]).map((e) => e.serviceId)).toEqual([SERVICE]);
    });
  });

  describe('functions', () => {
    it('prints one name per line, or a JSON array with --json', async () => {
      const r = await run(['functions', SERVICE], home);
      expect(r.status).toBe(0);
      expect(r.stdout.trimEnd().split('\n')).toEqual(expect.arrayContaining(['add', 'greet', 'noisy', 'sleep']));
      const json = await run(['functions', SERVICE, '--json'], home);
      expect(JSON.parse(json.stdout)).toEqual(expect.arrayContaining(['add', 'greet', 'noisy', 'sleep']));
    });
  });

  describe('call', () => {
    it('passes JSON arguments (negative numbers too) and prints the result', async () => {
      const sum = await run(['call', SERVICE, 'add', '40', '2'], home);
      expect(sum).toMatchObject({ status: 0, stdout: '42\n' });
      const negative = await run(['call', SERVICE, 'add', '-1', '-2.5'], home);
      expect(negative).toMatchObject({ status: 0, stdout: '-3.5\n' });
      const greeting = await run(['call', SERVICE, 'greet', '"Ada"', '--json'], home);
      expect(JSON.parse(greeting.stdout)).toBe('Hello, Ada!');
      const human = await run(['call', SERVICE, 'echo', '{"a":[1,"x",null],"b":{}}'], home);
      expect(human.stdout).toBe('{\n  "a": [\n    1,\n    "x",\n    null\n  ],\n  "b": {}\n}\n');
    });

    it('--json prints exactly one JSON document even when the service logs during the call; the log goes to stderr', async () => {
      const r = await run(['call', SERVICE, 'noisy', '"Ada"', '--json'], home);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toBe('done Ada');
      expect(r.stdout).toBe('"done Ada"\n');
      expect(r.stderr).toContain(`[${SERVICE}] noisy says hello to Ada`);
      expect(r.stderr).toContain(`[${SERVICE}] noisy warns Ada`);
      const human = await run(['call', SERVICE, 'noisy', '"Bo"'], home);
      expect(human.stdout).toBe('"done Bo"\n');
      expect(human.stderr).toContain('noisy says hello to Bo');
    });

    it('rejects an argument that is not JSON, naming its position and text, with exit 2', async () => {
      const bare = await run(['call', SERVICE, 'greet', 'Ada'], home);
      expect(bare.status).toBe(2);
      expect(bare.stdout).toBe('');
      expect(bare.stderr).toContain('argument 1 is not valid JSON: Ada');
      expect(bare.stderr).toContain(`'"Ada"'`);
      expect(bare.stderr).toContain('--string-args');
      const object = await run(['call', SERVICE, 'echo', '1', '{a:1}'], home);
      expect(object.status).toBe(2);
      expect(object.stderr).toContain('argument 2 is not valid JSON: {a:1}');
    });

    it('--string-args (-s) sends every argument as a string, unparsed', async () => {
      const r = await run(['call', SERVICE, 'inspectArgs', '--string-args', '42', 'Ada', '{"a":1}', '--json'], home);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([
        { value: '42', type: 'string' },
        { value: 'Ada', type: 'string' },
        { value: '{"a":1}', type: 'string' },
      ]);
      const short = await run(['call', '-s', SERVICE, 'greet', 'Ada'], home);
      expect(short).toMatchObject({ status: 0, stdout: '"Hello, Ada!"\n' });
    });

    it('shows bytes and big integers unambiguously: tagged JSON with --json, <Buffer ..> and 123n without', async () => {
      expect((await run(['call', SERVICE, 'bytes', '--json'], home)).stdout).toBe('{"$bytes":"AQID/w=="}\n');
      expect((await run(['call', SERVICE, 'bytes'], home)).stdout).toBe('<Buffer 01 02 03 ff>\n');
      expect((await run(['call', SERVICE, 'huge', '--json'], home)).stdout).toBe('{"$bigint":"9223372036854775807"}\n');
      expect((await run(['call', SERVICE, 'huge'], home)).stdout).toBe('9223372036854775807n\n');
      const mixed = await run(['call', SERVICE, 'mixed', '--json'], home);
      expect(JSON.parse(mixed.stdout)).toEqual({
        id: { $bigint: '1152921504606846977' },
        blob: { $bytes: 'aGk=' },
        list: [1, 'two', null],
      });
      const mixedHuman = await run(['call', SERVICE, 'mixed'], home);
      expect(mixedHuman.stdout).toContain('"id": 1152921504606846977n');
      expect(mixedHuman.stdout).toContain('"blob": <Buffer 68 69>');
    });

    it('accepts the same tags in arguments, so --json output can be passed back', async () => {
      const r = await run(
        ['call', SERVICE, 'inspectArgs', '{"$bytes":"AQID"}', '{"$bigint":"9007199254740993"}', '--json'],
        home,
      );
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([
        { value: { $bytes: 'AQID' }, type: 'Buffer' },
        { value: { $bigint: '9007199254740993' }, type: 'bigint' },
      ]);
      const bad = await run(['call', SERVICE, 'echo', '{"$bytes":"not base64!"}'], home);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/argument 1 is not valid JSON: .*padded standard base64/);
    });

    it('a remote failure exits 1 with the code, the remote type and message on stderr', async () => {
      const r = await run(['call', SERVICE, 'fail', '"over quota"', '--json'], home);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^multifrost: REMOTE_ERROR: QuotaError: over quota \(remote in fail\(\) on cli-svc\) \[E_QUOTA\]$/m,
      );
    });

    it('--timeout makes a slow call fail with TIMEOUT, naming the function and the limit', async () => {
      // The call would take 60 s and the run's backstop kills at 25 s: only --timeout can make this pass.
      const r = await run(['call', SERVICE, 'sleep', '60000', '--timeout', '300'], home);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^multifrost: TIMEOUT: .*sleep\(\).*300 ms/m);
    });

    it('an unknown service exits 1 with SERVICE_NOT_FOUND, within --timeout', async () => {
      const r = await run(['call', 'nope', 'add', '1', '2', '--timeout', '300'], home);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^multifrost: SERVICE_NOT_FOUND: .*'nope'/m);
    });
  });
});
