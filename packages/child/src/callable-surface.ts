/**
 * What a parent may call on a worker (PROTOCOL.md §8): the methods the user's class and its
 * user-defined base classes define, minus `_`-prefixed names, `constructor`, and anything the
 * library's base class or `Object.prototype` defines. Computed once; dispatch is a Set lookup, so
 * `stop`, `run`, `toString` and friends can never be reached remotely.
 */

export function collectCallable(instance: object, libraryBase: object): Map<string, (...args: unknown[]) => unknown> {
  const reserved = new Set<string>([
    ...Object.getOwnPropertyNames(libraryBase),
    ...Object.getOwnPropertyNames(Object.prototype),
  ]);
  const found = new Map<string, (...args: unknown[]) => unknown>();
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== libraryBase && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (found.has(name) || reserved.has(name) || name.startsWith('_')) continue;
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      // Only plain methods: accessors would run on lookup, and data properties are not methods.
      if (desc && typeof desc.value === 'function') found.set(name, desc.value as (...args: unknown[]) => unknown);
    }
  }
  return found;
}
