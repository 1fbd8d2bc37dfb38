// PID liveness and the PID-reuse guard.
import { describe, expect, it } from 'vitest';
import { isPidAlive, isRegistrantAlive, parseStarted, processStartTimeMs } from '../src/internal.js';
import { deadPid } from './helpers.js';

describe('isPidAlive', () => {
  it('is true for live processes and false for dead or impossible PIDs', async () => {
    expect(isPidAlive(process.pid)).toBe(true);
    expect(isPidAlive(process.ppid)).toBe(true);
    expect(isPidAlive(await deadPid())).toBe(false);
    for (const pid of [0, -1, 1.5, Number.NaN, '123', undefined, null]) expect(isPidAlive(pid)).toBe(false);
  });
});

describe('the PID-reuse guard', () => {
  it.runIf(process.platform === 'linux')('knows when a process started, from /proc', () => {
    const started = processStartTimeMs(process.pid)!;
    const expected = Date.now() - process.uptime() * 1000;
    expect(Math.abs(started - expected)).toBeLessThan(2_000);
  });

  it.runIf(process.platform === 'linux')(
    'a process that started after the entry was written is not its registrant',
    () => {
      const started = processStartTimeMs(process.pid)!;
      expect(isRegistrantAlive(process.pid, new Date(started + 60_000).toISOString())).toBe(true);
      expect(isRegistrantAlive(process.pid, new Date(started - 1_000).toISOString())).toBe(true); // within the slack
      expect(isRegistrantAlive(process.pid, new Date(started - 60_000).toISOString())).toBe(false);
      expect(isRegistrantAlive(process.pid, String(Math.floor((started - 60_000) / 1000)))).toBe(false); // Rust seconds
    },
  );

  it('falls back to plain liveness when started is missing or unparseable', () => {
    expect(isRegistrantAlive(process.pid, undefined)).toBe(true);
    expect(isRegistrantAlive(process.pid, 'yesterday-ish')).toBe(true);
  });

  it('parses the started formats of every peer', () => {
    expect(parseStarted('2026-01-02T03:04:05.000Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5)); // JS
    expect(parseStarted('1700000000')).toBe(1_700_000_000_000); // Rust
    expect(parseStarted('2026-01-02T03:04:05.123456')).toBe(new Date(2026, 0, 2, 3, 4, 5, 123).getTime()); // Python, local time
    expect(parseStarted('2026-01-02T03:04:05.123456789+02:00')).toBe(Date.UTC(2026, 0, 2, 1, 4, 5, 123)); // Go RFC3339Nano
    expect(parseStarted('garbage')).toBeUndefined();
    expect(parseStarted('')).toBeUndefined();
  });
});
