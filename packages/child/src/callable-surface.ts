/**
 * What a parent may call on a worker (`listFunctions()` in
 * [docs/protocol.md](../../../docs/protocol.md#choices-and-clarifications)): the methods the
 * user's class and its user-defined base classes define, and the user's own instance fields
 * holding functions (arrow fields such as `greet = (n) => ...`), minus `_`-prefixed names, the
 * reserved names, and `Object.prototype` members. Computed once at start; dispatch is a Map lookup, so `stop`, `run`,
 * `toString` and friends can never be reached remotely.
 */
import { isReservedName } from './reserved-names.js';

type Method = (...args: unknown[]) => unknown;

const objectMembers: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

function callableName(name: string): boolean {
  return !name.startsWith('_') && !isReservedName(name) && !objectMembers.has(name);
}

export function collectCallable(instance: object, libraryBase: object): Map<string, Method> {
  const found = new Map<string, Method>();
  // Own fields first: they shadow a prototype method of the same name, exactly as `this.name` does.
  for (const name of Object.getOwnPropertyNames(instance)) {
    if (!callableName(name)) continue;
    const desc = Object.getOwnPropertyDescriptor(instance, name);
    if (desc && typeof desc.value === 'function') found.set(name, desc.value as Method);
  }
  for (
    let proto = Object.getPrototypeOf(instance);
    proto && proto !== libraryBase && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (found.has(name) || !callableName(name)) continue;
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      // Only plain methods: accessors would run on lookup, and data properties are not methods.
      if (desc && typeof desc.value === 'function') found.set(name, desc.value as Method);
    }
  }
  return found;
}
