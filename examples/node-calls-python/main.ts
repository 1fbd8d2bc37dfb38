// Node calls a Python model as if it were a local async function.
import { fileURLToPath } from 'node:url';
import { ParentWorker, RemoteCallError } from 'multifrost';

interface ModelApi {
  predict(features: number[]): number;
  predict_batch(rows: number[][]): number[];
  info(): { weights: number[]; bias: number; pid: number };
}

// A .py script runs with $PYTHON_BIN (the start script sets it to the project's .venv), else python3.
await using model = await ParentWorker.spawn<ModelApi>(fileURLToPath(new URL('./model.py', import.meta.url)));

const score = await model.call.predict([0.1, 0.2, 0.3]);
console.log(`predict([0.1, 0.2, 0.3]) = ${score.toFixed(4)}`);
console.log(
  'batch:',
  (
    await model.call.predict_batch([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ])
  )
    .map((s) => s.toFixed(3))
    .join(', '),
);
console.log('info:', await model.call.info());

try {
  await model.call.predict([1, 2]);
} catch (err) {
  if (err instanceof RemoteCallError) console.log(`Python raised ${err.remoteType}: ${err.remoteMessage}`);
}
