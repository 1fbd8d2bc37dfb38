/**
 * The /proc reader shared by the registry, the reliability suite and the benchmarks: parsing of
 * awkward command names, and the values it reads for real processes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  machineCpuTicks,
  parseProcStat,
  processCpuUs,
  processStartTimeMs,
  readProcStat,
  residentMb,
} from '../src/internal.js';

/** Fields 3.. of a stat line: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ... starttime (22). */
function statLine(comm: string): string {
  const rest = [
    'S',
    '41',
    '42',
    '42',
    '0',
    '-1',
    '4194560',
    '100',
    '0',
    '0',
    '0',
    '77',
    '33',
    '0',
    '0',
    '20',
    '0',
    '1',
    '0',
    '123456',
    '1000',
    '50',
  ];
  return `4242 (${comm}) ${rest.join(' ')}\n`;
}

describe('parseProcStat', () => {
  it.each([
    ['a plain name', 'node'],
    ['spaces', 'my worker'],
    ['parentheses and a fake state', 'evil) R 1 1 (x'],
  ])('counts fields from the last parenthesis: %s', (_what, comm) => {
    expect(parseProcStat(statLine(comm))).toEqual({
      state: 'S',
      ppid: 41,
      pgrp: 42,
      utimeTicks: 77,
      stimeTicks: 33,
      startTicks: 123456,
    });
  });

  it('gives undefined for text that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('4242 node S 1 2')).toBeUndefined();
    expect(parseProcStat('4242 (node) S')).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('reading /proc', () => {
  it('reads this process', () => {
    const self = readProcStat(process.pid);
    expect(self).toBeDefined();
    expect(self!.ppid).toBe(process.ppid);
    expect(readProcStat('self')!.startTicks).toBe(self!.startTicks);
    expect(residentMb(process.pid)).toBeGreaterThan(1);
    const cpu = processCpuUs(process.pid)!;
    expect(cpu.userUs + cpu.systemUs).toBeGreaterThan(0);
  });

  it("reads the machine's CPU time, steal within it, counting up", async () => {
    const before = machineCpuTicks()!;
    expect(before.totalTicks).toBeGreaterThan(0);
    expect(before.stealTicks).toBeGreaterThanOrEqual(0);
    expect(before.stealTicks).toBeLessThanOrEqual(before.totalTicks);
    await new Promise((resolve) => setTimeout(resolve, 50)); // idle time counts too: about 5 ticks a CPU
    const after = machineCpuTicks()!;
    expect(after.totalTicks).toBeGreaterThan(before.totalTicks);
    expect(after.stealTicks).toBeGreaterThanOrEqual(before.stealTicks);
  });

  it('places a process started later after this one, and forgets it once it is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      expect(readProcStat(pid)?.ppid).toBe(process.pid);
      expect(processStartTimeMs(pid)!).toBeGreaterThanOrEqual(processStartTimeMs(process.pid)!);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    expect(readProcStat(child.pid!)).toBeUndefined();
    expect(processStartTimeMs(child.pid!)).toBeUndefined();
    expect(residentMb(child.pid!)).toBeUndefined();
  });
});
