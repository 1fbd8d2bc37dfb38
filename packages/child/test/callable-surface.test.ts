import { describe, expect, it } from 'vitest';
import { collectCallable } from '../src/callable-surface.js';

class LibraryBase {
  run() {}
  stop() {}
  listFunctions() {
    return [];
  }
}
class UserBase extends LibraryBase {
  shared() {
    return 'base';
  }
  _hidden() {}
}
class Worker extends UserBase {
  add() {
    return 1;
  }
  override shared() {
    return 'override';
  }
  get computed() {
    throw new Error('a getter must never run during collection');
  }
  override stop() {}
  toString() {
    return 'x';
  }
}

describe('collectCallable', () => {
  it('collects user methods and user base methods, nothing else', () => {
    const surface = collectCallable(new Worker(), LibraryBase.prototype);
    expect([...surface.keys()].sort()).toEqual(['add', 'shared']);
    expect(surface.get('shared')!.call(new Worker())).toBe('override');
  });
});
