/**
 * What Linux's /proc says about a process: its state, parent, group, CPU time and start time
 * (from /proc/<pid>/stat) and its resident memory (from /proc/<pid>/status); and the machine's CPU
 * time, steal included (the `cpu` line of /proc/stat). The one place in the
 * repository that parses these files; every reader returns `undefined` where /proc is missing
 * (macOS, Windows) or the process is gone, so callers need no platform checks.
 */
import { readFileSync } from 'node:fs';

/**
 * /proc counts CPU and start times in USER_HZ, which the kernel fixes at 100 on every Linux
 * architecture Node runs on (whatever CONFIG_HZ is), so no `getconf CLK_TCK` subprocess is needed.
 */
export const USER_HZ = 100;

export interface ProcStat {
  /** One letter: `R` running, `S` sleeping, `T` stopped, `Z` zombie, `X` dead, ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** CPU time in user mode, in USER_HZ ticks. */
  utimeTicks: number;
  /** CPU time in kernel mode, in USER_HZ ticks. */
  stimeTicks: number;
  /** When the process started, in USER_HZ ticks since boot. */
  startTicks: number;
}

/**
 * Parses the one line of /proc/<pid>/stat. The command name (field 2) is in parentheses and may
 * itself hold spaces and parentheses, so the fields are counted from the last `)`.
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") ": field 3 (state) is at index 0, so field N is at index N - 3.
  const f = line
    .slice(close + 2)
    .trim()
    .split(' ');
  const stat: ProcStat = {
    state: f[0] ?? '',
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    utimeTicks: Number(f[11]),
    stimeTicks: Number(f[12]),
    startTicks: Number(f[19]),
  };
  if (stat.state.length !== 1 || !Number.isInteger(stat.ppid) || !Number.isInteger(stat.startTicks)) return undefined;
  return stat;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function readProcStat(pid: number | 'self'): ProcStat | undefined {
  const text = readText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStat(text);
}

/** Boot time in ms since the epoch (`btime` of /proc/stat); null once known to be unavailable. */
let bootTimeMs: number | null | undefined;

function readBootTimeMs(): number | null {
  const m = /^btime (\d+)$/m.exec(readText('/proc/stat') ?? '');
  return m ? Number(m[1]) * 1000 : null;
}

/** When the process started, in ms since the epoch. */
export function processStartTimeMs(pid: number): number | undefined {
  if (bootTimeMs === undefined) bootTimeMs = readBootTimeMs();
  if (bootTimeMs === null) return undefined;
  const stat = readProcStat(pid);
  return stat === undefined ? undefined : bootTimeMs + (stat.startTicks * 1000) / USER_HZ;
}

/** CPU time the process has used so far, in µs. */
export function processCpuUs(pid: number | 'self'): { userUs: number; systemUs: number } | undefined {
  const stat = readProcStat(pid);
  if (stat === undefined) return undefined;
  return { userUs: (stat.utimeTicks * 1e6) / USER_HZ, systemUs: (stat.stimeTicks * 1e6) / USER_HZ };
}

/** Resident set size in MB (`VmRSS` of /proc/<pid>/status). */
export function residentMb(pid: number | 'self'): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readText(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) / 1024 : undefined;
}

/**
 * The machine's CPU time so far (the `cpu` line of /proc/stat), in USER_HZ ticks: all of it, and the
 * steal within it (time the hypervisor gave to other guests).
 */
export function machineCpuTicks(): { totalTicks: number; stealTicks: number } | undefined {
  const m = /^cpu\s+(.*)$/m.exec(readText('/proc/stat') ?? '');
  if (!m) return undefined;
  // user nice system idle iowait irq softirq steal; guest time is already counted in user.
  const fields = m[1]!.trim().split(/\s+/).slice(0, 8).map(Number);
  return { totalTicks: fields.reduce((a, b) => a + b, 0), stealTicks: fields[7] ?? 0 };
}
