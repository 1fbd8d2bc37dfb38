// A client: discovers the 'greeter' service in the registry and calls it.
import { ParentWorker } from 'multifrost';
import type { Greeter } from './service.js';

await using greeter = await ParentWorker.connect<Greeter>(process.env.SERVICE_ID ?? 'greeter', { timeoutMs: 10_000 });
console.log(await greeter.call.greet('client'));
console.log('service stats:', await greeter.call.stats());
