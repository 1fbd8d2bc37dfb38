// Type-level tests of WorkerPool: the same `Remote<T>` call surface as a ParentWorker, typed events
// and options. Checked by `tsc --noEmit` and by vitest's typecheck mode.
import { describe, expectTypeOf, it } from 'vitest';
import type { ParentWorker } from '../src/parent-worker.js';
import type { WorkerPool } from '../src/pool.js';
import type { PoolSpawnOptions, WorkerPoolEvents } from '../src/pool-options.js';
import type { StreamView, WorkerView } from '../src/proxy.js';

interface ModelApi {
  predict(features: number[]): number;
  info(): { pid: number; tags: Set<string> };
  _private(): void;
}

describe('WorkerPool types', () => {
  it('calls look like a ParentWorker’s', () => {
    type Pool = WorkerPool<ModelApi>;
    expectTypeOf<Pool['call']>().toEqualTypeOf<ParentWorker<ModelApi>['call']>();
    expectTypeOf<Pool['call']['predict']>().toEqualTypeOf<(features: number[]) => Promise<number>>();
    expectTypeOf<Awaited<ReturnType<Pool['call']['info']>>>().toEqualTypeOf<{ pid: number; tags: string[] }>();
    expectTypeOf<Pool['call']>().not.toHaveProperty('_private');
    expectTypeOf<ReturnType<Pool['with']>>().toEqualTypeOf<WorkerView<ModelApi> & StreamView<ModelApi>>();
    expectTypeOf<Pool['stream']>().toEqualTypeOf<ParentWorker<ModelApi>['stream']>();
    expectTypeOf<Pool>().toMatchTypeOf<WorkerView<ModelApi>>();
    expectTypeOf<Pool['needsDrain']>().toEqualTypeOf<boolean>();
  });

  it('events and options are typed; autoRestart is not a pool option', () => {
    expectTypeOf<WorkerPoolEvents['scale'][0]['reason']>().toEqualTypeOf<'queue' | 'idle'>();
    expectTypeOf<WorkerPoolEvents['worker-restart'][0]['reason']>().toEqualTypeOf<
      'exit' | 'recycle' | 'start-failed'
    >();
    expectTypeOf<PoolSpawnOptions>().not.toHaveProperty('autoRestart');
    expectTypeOf<PoolSpawnOptions['strategy']>().toEqualTypeOf<'least-loaded' | 'round-robin' | undefined>();
  });
});
