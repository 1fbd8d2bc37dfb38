import { isMultifrostError, type MultifrostError } from '@multifrost/protocol';
import { describe, expect, it } from 'vitest';
import { ChildWorker } from '../src/child-worker.js';
import { RESERVED_NAMES } from '../src/index.js';
import { Dispatcher } from '../src/dispatcher.js';
import { ProcessLifecycle } from '../src/lifecycle.js';
import { ReplySender } from '../src/reply-sender.js';
import { WorkerRuntime } from '../src/worker-runtime.js';

const reservedMembers = RESERVED_NAMES.filter((n) => n !== 'constructor');

/** A subclass of ChildWorker whose prototype defines `name` as a method (or getter). */
function classWithMember(name: string, kind: 'method' | 'getter' = 'method'): new () => ChildWorker {
  const Cls = class Clashing extends ChildWorker {};
  const desc: PropertyDescriptor =
    kind === 'method'
      ? { value: () => 'mine', writable: true, configurable: true }
      : { get: () => 'mine', configurable: true };
  Object.defineProperty(Cls.prototype, name, desc);
  return Cls as unknown as new () => ChildWorker;
}

function caught(fn: () => unknown): MultifrostError {
  try {
    fn();
  } catch (err) {
    return err as MultifrostError;
  }
  throw new Error('expected a throw');
}

function expectClash(err: unknown, className: string, member: string): void {
  expect(isMultifrostError(err)).toBe(true);
  const e = err as MultifrostError;
  expect(e.code).toBe('INVALID_ARGUMENT');
  expect(e.message).toContain(`Worker class ${className} defines '${member}'`);
  expect(e.message).toContain(`Reserved: ${RESERVED_NAMES.join(', ')}`);
  expect(e.details).toMatchObject({ class: className, member });
}

describe('reserved names', () => {
  it('are exactly the public members of ChildWorker (and match the parent proxy type)', () => {
    expect([...RESERVED_NAMES]).toEqual([
      'run',
      'start',
      'stop',
      'listFunctions',
      'mode',
      'port',
      'namespace',
      'constructor',
    ]);
    expect(Object.getOwnPropertyNames(ChildWorker.prototype).sort()).toEqual([...RESERVED_NAMES].sort());
  });

  it('a worker instance carries no library-owned property', () => {
    class Plain extends ChildWorker {
      add(a: number, b: number): number {
        return a + b;
      }
    }
    const w = new Plain();
    expect(Object.getOwnPropertyNames(w)).toEqual([]);
    expect(Object.getOwnPropertySymbols(w)).toEqual([]);
    expect(w.namespace).toBe('default');
    expect(new Plain({ namespace: 'ns' }).namespace).toBe('ns');
    expect(w.mode).toBeUndefined();
    expect(w.port).toBeUndefined();
  });

  for (const name of reservedMembers) {
    it(`a method named ${name} is an error at construction`, () => {
      expectClash(
        caught(() => new (classWithMember(name))()),
        'Clashing',
        name,
      );
    });
  }

  it('a getter, or a method in a user base class, is caught too', () => {
    expectClash(
      caught(() => new (classWithMember('mode', 'getter'))()),
      'Clashing',
      'mode',
    );
    class Base extends ChildWorker {
      stop(): Promise<void> {
        return Promise.resolve();
      }
    }
    class Leaf extends Base {}
    const err = caught(() => new Leaf());
    expectClash(err, 'Leaf', 'stop');
    expect(err.message).toContain('in its base class Base');
  });

  for (const name of RESERVED_NAMES) {
    it(`an instance field named ${name} makes start() reject before anything is opened`, async () => {
      class Fielded extends ChildWorker {
        constructor() {
          super({ handleSignals: false });
          Object.defineProperty(this, name, {
            value: () => 'mine',
            writable: true,
            configurable: true,
            enumerable: true,
          });
        }
      }
      const w = new Fielded();
      const err = await ChildWorker.prototype.start.call(w).catch((e: unknown) => e);
      expectClash(err, 'Fielded', name);
      expect((err as Error).message).toContain('as an instance field');
      expect(ChildWorker.prototype.listFunctions.call(w)).toEqual([]);
    });
  }

  it('a class field declared with the usual syntax is caught at start()', async () => {
    class WithField extends ChildWorker {
      // @ts-expect-error TypeScript rejects it too, but tsx runs workers without typechecking.
      port = 8080;
    }
    const err = await new WithField().run().catch((e: unknown) => e);
    expectClash(err, 'WithField', 'port');
  });
});

describe('what is callable', () => {
  it('methods, user base methods and arrow fields; not _names, #names or data fields', () => {
    class Base extends ChildWorker {
      shared(): string {
        return 'base';
      }
    }
    class Mixed extends Base {
      greet = (n: string): string => `hi ${n}`;
      _hiddenField = (): number => 1;
      #secret = (): number => 2;
      count = 3;
      execute(sql: string): string {
        return sql + String(this.#secret());
      }
      _helper(): void {}
      toString(): string {
        return 'Mixed';
      }
    }
    const w = new Mixed();
    expect(w.listFunctions()).toEqual(['execute', 'greet', 'shared']);
  });

  it('library member names are free for user methods', () => {
    // The runtime and the parts it coordinates: none of their member names may be taken from the user.
    const sink = { send: () => undefined };
    const parts: object[] = [
      new WorkerRuntime({}, Object.prototype, {}),
      new Dispatcher({ owner: {}, methods: new Map(), namespace: 'default' }, sink),
      new ReplySender({ closed: false, post: () => undefined }),
      new ProcessLifecycle(
        { exitOnStop: false, parentCheckIntervalMs: 200 },
        () => undefined,
        () => false,
      ),
    ];
    const names = new Set([
      ...parts.flatMap((p) => [
        ...Object.getOwnPropertyNames(Object.getPrototypeOf(p)),
        ...Object.getOwnPropertyNames(p),
      ]),
      'execute',
      'send',
      'finish',
      'next',
      'queue',
      'options',
      'transport',
      'registry',
      'state',
      'surface',
      'onMessage',
    ]);
    const free = [...names].filter((n) => !(RESERVED_NAMES as readonly string[]).includes(n));
    expect(free.length).toBeGreaterThan(30);
    class Free extends ChildWorker {}
    for (const n of free)
      Object.defineProperty(Free.prototype, n, { value: () => n, writable: true, configurable: true });
    expect(new Free().listFunctions()).toEqual([...free].sort());
  });
});
