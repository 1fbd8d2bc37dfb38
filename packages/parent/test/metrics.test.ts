import { describe, expect, it } from 'vitest';
import { Metrics } from '../src/metrics.js';

const extra = {
  inFlight: 2,
  circuit: { state: 'closed' as const, trips: 0, consecutiveFailures: 0 },
  droppedMessages: 0,
};

describe('Metrics', () => {
  it('computes nearest-rank percentiles over recorded latencies', () => {
    const m = new Metrics();
    for (let i = 1; i <= 100; i++) {
      m.total++;
      m.recordSuccess(i);
    }
    const s = m.snapshot(extra);
    expect(s.latencyMs.p50).toBe(51);
    expect(s.latencyMs.p95).toBe(96);
    expect(s.latencyMs.p99).toBe(100);
    expect(s.latencyMs.min).toBe(1);
    expect(s.latencyMs.max).toBe(100);
    expect(s.latencyMs.avg).toBe(50.5);
    expect(s.inFlight).toBe(2);
  });

  it('keeps only the last 1000 samples and counts error rate', () => {
    const m = new Metrics();
    for (let i = 0; i < 1500; i++) m.recordSuccess(i < 500 ? 1000 : 1);
    m.recordFailure(1);
    const s = m.snapshot(extra);
    expect(s.latencyMs.max).toBe(1);
    expect(s.requestsSucceeded).toBe(1500);
    expect(s.requestsFailed).toBe(1);
    expect(s.errorRate).toBeCloseTo(1 / 1501, 3);
  });

  it('reports heartbeat RTT', () => {
    const m = new Metrics();
    expect(m.snapshot(extra).heartbeat.rttLastMs).toBeUndefined();
    m.recordRtt(2);
    m.recordRtt(4);
    const s = m.snapshot(extra);
    expect(s.heartbeat.rttLastMs).toBe(4);
    expect(s.heartbeat.rttAvgMs).toBe(3);
  });
});
