// Worker classes whose members carry the library's own internal names (and everyday names such as
// execute/send/queue), generated as real class source, spawned with the real ParentWorker and
// called over the wire; and workers that redefine a reserved name, which must fail spawn() with
// the reason instead of hanging until a timeout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ChildWorker, RESERVED_NAMES } from '@multifrost/child';
import { ParentWorker, isMultifrostError, type MultifrostError } from 'multifrost';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Internal on purpose: the test must follow the runtime's members as they change.
import { WorkerRuntime } from '../../child/src/worker-runtime.js';
import { tempHome } from './helpers/workers.js';

/** Members the review found on ChildWorker's prototype and instances before the runtime split. */
const HISTORICAL = [
  'start',
  'run',
  'doStart',
  'onMessage',
  'sendQuiet',
  'dispatchSend',
  'state',
  'startPromise',
  'forwarder',
  'execute',
  'send',
  'finish',
  'onCall',
  'surface',
  'callable',
  'replyError',
  'namespace',
  'active',
  'sendsFlushed',
  'sendDone',
  'options',
  'transport',
  'registry',
  'registered',
  'queue',
  'sendsInFlight',
  'stopWatchingParent',
  'signalHandler',
  'stopPromise',
  'drained',
  'resolveRun',
  'runDone',
  'spawnEnv',
  'posting',
  'postError',
  'onSendError',
  'onReject',
  'onCancel',
  'next',
  'waitingCalls',
  'flushSends',
  'stopWith',
  'doStop',
  'installSignalHandlers',
  'removeSignalHandlers',
  'listFunctions',
  'mode',
  'port',
  'stop',
];
const EVERYDAY = [
  'execute',
  'send',
  'finish',
  'next',
  'queue',
  'options',
  'transport',
  'registry',
  'emit',
  'on',
  'close',
  'call',
  'handle',
  'dispatch',
  'process',
  'init',
  'state',
];

const reserved = new Set<string>(RESERVED_NAMES);
const libraryNames = new Set<string>([
  ...Object.getOwnPropertyNames(WorkerRuntime.prototype),
  ...Object.getOwnPropertyNames(new WorkerRuntime({}, Object.prototype, {})),
  ...Object.getOwnPropertyNames(ChildWorker.prototype),
  ...HISTORICAL,
  ...EVERYDAY,
]);
const free = [...libraryNames].filter((n) => !reserved.has(n)).sort();
const reservedMembers = RESERVED_NAMES.filter((n) => n !== 'constructor');

const childEntry = pathToFileURL(
  path.join(path.dirname(createRequire(import.meta.url).resolve('@multifrost/child/package.json')), 'dist', 'index.js'),
).href;

let dir: string;
let home: { home: string; cleanup: () => void };

function writeWorker(file: string, classBody: string): string {
  const full = path.join(dir, file);
  writeFileSync(
    full,
    `import { ChildWorker } from ${JSON.stringify(childEntry)};\n` +
      `class Named extends ChildWorker {\n  _tag = 'named';\n${classBody}\n}\n` +
      `await new Named().run();\n`,
  );
  return full;
}

const spawnOptions = () => ({ output: 'ignore' as const, env: { MULTIFROST_HOME: home.home } });

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mf-reserved-'));
  home = tempHome();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  home.cleanup();
});

describe('library member names are free for user methods', () => {
  it('covers the runtime, the historical names and everyday names', () => {
    for (const n of [...HISTORICAL, ...EVERYDAY]) expect(libraryNames.has(n)).toBe(true);
    expect(free).toContain('execute');
    expect(free).toContain('onMessage');
    expect(free.length).toBeGreaterThanOrEqual(50);
  });

  for (const style of ['methods', 'arrow fields'] as const) {
    it(`a worker with ${free.length} ${style} named after them answers every one with its own result`, async () => {
      const body = free
        .map((n) =>
          style === 'methods'
            ? `  ${n}(x) { return ${JSON.stringify(n)} + ':' + x + ':' + this._tag; }`
            : `  ${n} = (x) => ${JSON.stringify(n)} + ':' + x + ':' + this._tag;`,
        )
        .join('\n');
      const script = writeWorker(`named-${style === 'methods' ? 'methods' : 'fields'}.mjs`, body);
      const w = await ParentWorker.spawn(script, spawnOptions());
      try {
        const proxy = w.call as unknown as Record<string, (x: number) => Promise<string>>;
        const results = await Promise.all(free.map((n, i) => proxy[n]!(i)));
        expect(results).toEqual(free.map((n, i) => `${n}:${i}:named`));
        expect(new Set(results).size).toBe(free.length);
        const listed = (await w.listFunctions()) as string[];
        expect(listed).toEqual(free);
      } finally {
        await w.close();
      }
    });
  }
});

describe('a worker that redefines a reserved name', () => {
  it.each(reservedMembers)('fails spawn() with the reason when it defines a method %s', async (name) => {
    const script = writeWorker(`reserved-${name}.mjs`, `  ${name}() { return 'mine'; }`);
    const err = (await ParentWorker.spawn(script, { ...spawnOptions(), startTimeoutMs: 60_000 }).catch(
      (e: unknown) => e,
    )) as MultifrostError;
    expect(isMultifrostError(err)).toBe(true);
    expect(err.code).toBe('WORKER_EXITED');
    expect(err.message).toContain(`Worker class Named defines '${name}'`);
    expect(err.message).toContain('reserves that name');
  });

  it('fails spawn() with the reason when an instance field takes a reserved name', async () => {
    const script = writeWorker('reserved-field.mjs', `  port = 8080;`);
    const err = (await ParentWorker.spawn(script, { ...spawnOptions(), startTimeoutMs: 60_000 }).catch(
      (e: unknown) => e,
    )) as MultifrostError;
    expect(err.code).toBe('WORKER_EXITED');
    expect(err.message).toContain(`Worker class Named defines 'port' as an instance field`);
  });
});
