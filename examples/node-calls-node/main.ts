// Spawn mode: start worker.ts as a child process and call it through a typed proxy.
import { fileURLToPath } from 'node:url';
import { ParentWorker, isMultifrostError } from 'multifrost';
import type { MathWorker } from './worker.js';

const script = fileURLToPath(new URL('./worker.ts', import.meta.url));
await using worker = await ParentWorker.spawn<MathWorker>(script);

console.log('add(1, 2) =', await worker.call.add(1, 2));
console.log('fibonacci(30) =', await worker.call.fibonacci(30));
console.log(await worker.call.greet('Multifrost'));
console.log('functions:', (await worker.listFunctions()).join(', '));

try {
  await worker.call.divide(1, 0);
} catch (err) {
  if (isMultifrostError(err)) console.log(`remote error kept its name: ${err.message}`);
}

const controller = new AbortController();
const slow = worker.with({ signal: controller.signal }).call.fibonacci(1e9);
controller.abort();
await slow.catch((err: unknown) => console.log('cancelled:', (err as Error).message));

const m = worker.metrics;
console.log(
  `calls: ${m.requestsTotal}, p50 ${m.latencyMs.p50} ms, heartbeat RTT ${worker.lastHeartbeatRttMs?.toFixed(2)} ms`,
);
