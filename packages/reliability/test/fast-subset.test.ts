// The fast subset of the reliability suite: every scenario at small size, each asserting its outcome.
import { describe, it } from 'vitest';
import { SCENARIOS } from '../src/scenarios/index.js';

describe('reliability (fast subset)', () => {
  for (const s of SCENARIOS) {
    it(`${s.id}. ${s.name}: ${s.proves}`, async () => {
      await s.run({ full: false });
    });
  }
});
