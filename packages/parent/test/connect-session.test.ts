// Connect mode's own work, over the in-memory transport with fake timers: discovery (and what a
// miss says), failing calls to a silent service at once, and following a service that moved.
import { describe, expect, it, vi } from 'vitest';
import { ParentWorker } from '../src/parent-worker.js';
import { failure, useFakeClock } from './helpers/fake-clock.js';
import { FakeService } from './helpers/fake-service.js';

const cleanup = useFakeClock();

describe('ConnectSession', () => {
  it('an unknown id fails with SERVICE_NOT_FOUND listing the registered ids', async () => {
    const s = await new FakeService().start();
    cleanup.push(() => s.close());
    const err = await failure(ParentWorker.connect('svx', { registry: s.registry(), transport: s.mem }));
    expect(err.code).toBe('SERVICE_NOT_FOUND');
    expect(err.message).toBe("No live service 'svx' after waiting 5000 ms (startTimeoutMs) (registered: svc)");
  });

  it('the deprecated timeoutMs still sets the start timeout, and is named in messages', async () => {
    const s = await new FakeService().start();
    cleanup.push(() => s.close());
    const err = await failure(
      ParentWorker.connect('svx', { registry: s.registry(), transport: s.mem, timeoutMs: 700 }),
    );
    expect(err.message).toMatch(/after waiting 700 ms \(timeoutMs\)/);
  });

  it('discovery is given a signal', async () => {
    const s = await new FakeService().start();
    cleanup.push(() => s.close());
    const registry = s.registry();
    const w = await ParentWorker.connect('svc', { registry, transport: s.mem, output: 'ignore' });
    cleanup.push(() => w.close());
    expect(registry.signals[0]).toBeInstanceOf(AbortSignal);
  });

  it('a silent service fails in-flight calls with WORKER_UNREACHABLE, and the parent follows it to its new endpoint', async () => {
    const s1 = await new FakeService().start();
    cleanup.push(() => s1.close());
    s1.handler = () => 'hold';
    const registry = s1.registry();
    const w = await ParentWorker.connect('svc', {
      registry,
      transport: s1.mem,
      output: 'ignore',
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 50,
      heartbeatMaxMisses: 2,
      circuitBreaker: false,
    });
    cleanup.push(() => w.close());
    // The replacement lives on the same in-memory network, at another endpoint.
    const s2 = await startOn(s1);
    cleanup.push(() => s2.close());
    const inFlight = w.with({ timeoutMs: Infinity }).call.work!();
    inFlight.catch(() => {});
    await vi.advanceTimersByTimeAsync(1);
    s1.answerHeartbeats = false;
    registry.entry = { serviceId: 'svc', endpoint: s2.endpoint };
    // The call in flight keeps the worker "busy" until the link drops, so cut it as a dead host would.
    s1.mem.sever(s1.endpoint, { reconnect: false });
    await s1.close();
    await vi.advanceTimersByTimeAsync(300);
    const err = await failure(inFlight);
    expect(err.code).toBe('WORKER_UNREACHABLE');
    expect(err.message).toMatch(/Service svc stopped answering heartbeats \(2 missed\) while work\(\) was in flight/);
    const next = w.callFunction('echo', ['moved']);
    await vi.advanceTimersByTimeAsync(10);
    expect(await next).toEqual(['moved']);
    expect(s2.of('call').map((c) => c.function)).toEqual(['echo']);
  });
});

/** A second fake service sharing the first one's in-memory network. */
async function startOn(first: FakeService): Promise<FakeService> {
  const s = new FakeService(first.mem);
  return s.start();
}
