/**
 * The two measurements the per-peer scripts (peer-speed.ts, python-speed.ts) take of a worker,
 * and how they print a set of rounds: the middle value (the upper one of an even count) and the
 * range.
 */
type Call = (i: number) => Promise<unknown>;

/** 200 warm-up calls, then `n` calls one at a time; the median latency in µs. */
export async function sequentialP50Us(call: Call, n: number): Promise<number> {
  for (let i = 0; i < 200; i++) await call(i);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await call(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** `total` calls kept `inFlight` at a time; calls per second. */
export async function pipelinedRate(call: Call, total: number, inFlight: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next++;
        await call(next);
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

export const middle = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const span = (xs: number[], digits = 0): string =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
