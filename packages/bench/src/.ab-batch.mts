// temp A/B script (not committed)
import { ParentWorker } from '@multifrost/parent';
import { processCpuUs } from '@multifrost/protocol/internal';
const child = new URL('./servers/multifrost-child.mjs', import.meta.url);
async function run(batch: boolean, depth: number, calls: number) {
  const w = await ParentWorker.spawn<any>(child, { transport: { batch } });
  for (let i = 0; i < 2000; i++) await w.call.add(1, 2);
  const c0 = processCpuUs(process.pid)!,
    k0 = processCpuUs(w.pid!)!;
  const t0 = performance.now();
  let sent = 0,
    done = 0;
  await new Promise<void>((resolve) => {
    const next = () => {
      if (sent >= calls) return;
      sent++;
      w.call.add(1, 2).then(() => {
        if (++done === calls) resolve();
        else next();
      });
    };
    for (let i = 0; i < depth; i++) next();
  });
  const dt = (performance.now() - t0) / 1000;
  const c1 = processCpuUs(process.pid)!,
    k1 = processCpuUs(w.pid!)!;
  const lat: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const s = performance.now();
    await w.call.add(1, 2);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  const st = (w as any).transport.stats;
  await w.close();
  return {
    batch,
    depth,
    rate: Math.round(calls / dt),
    pcpu: ((c1.userUs + c1.systemUs - c0.userUs - c0.systemUs) / calls).toFixed(1),
    ccpu: ((k1.userUs + k1.systemUs - k0.userUs - k0.systemUs) / calls).toFixed(1),
    p50: Math.round(lat[1500]! * 1000),
    batches: st.batchesSent ?? 0,
    batched: st.batchedMessages ?? 0,
  };
}
for (const depth of [64, 256])
  for (const batch of [false, true]) console.log(JSON.stringify(await run(batch, depth, 100_000)));

const R = Number(process.env.R) || 2,
  D = process.env.D ? [Number(process.env.D)] : [64, 256],
  B = process.env.B ? [process.env.B === '1'] : [false, true];
for (let r = 0; r < R; r++)
  for (const depth of D)
    for (const batch of B) console.log(JSON.stringify(await run(batch, depth, Number(process.env.N) || 100_000)));
