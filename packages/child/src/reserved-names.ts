/**
 * The only member names `ChildWorker` keeps for itself on a user's worker object, and the check
 * that a user's class does not redefine one. Everything else the library needs lives off the
 * user's object (see worker-runtime.ts), so any other name is free for the user's methods.
 */
import { MultifrostError } from '@multifrost/protocol';

/** Must equal `ReservedName` in @multifrost/parent's proxy types, which hides them from `Remote<T>`. */
export const RESERVED_NAMES = [
  'run',
  'start',
  'stop',
  'listFunctions',
  'mode',
  'port',
  'namespace',
  'constructor',
] as const;

export type ReservedName = (typeof RESERVED_NAMES)[number];

const reserved: ReadonlySet<string> = new Set(RESERVED_NAMES);

export function isReservedName(name: string): boolean {
  return reserved.has(name);
}

/** From the prototype: an own `constructor` field would otherwise hide the class. */
function classNameOf(instance: object): string {
  return (
    (Object.getPrototypeOf(instance) as { constructor?: { name?: string } } | null)?.constructor?.name || 'anonymous'
  );
}

function clash(className: string, member: string, where: string): MultifrostError {
  return new MultifrostError(
    'INVALID_ARGUMENT',
    `Worker class ${className} defines '${member}' ${where}, but ChildWorker reserves that name. ` +
      `Reserved: ${RESERVED_NAMES.join(', ')}. Rename the member (a '_' prefix or #name keeps it private).`,
    { details: { class: className, member } },
  );
}

/**
 * Throws when a class between `instance` and `libraryBase` defines a reserved member. Every
 * prototype has its own `constructor`, so that one only counts on the instance itself.
 */
export function assertNoReservedOnPrototypes(instance: object, libraryBase: object): void {
  const className = classNameOf(instance);
  for (
    let proto = Object.getPrototypeOf(instance);
    proto && proto !== libraryBase && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && reserved.has(name)) {
        const owner = (proto as { constructor?: { name?: string } }).constructor?.name || className;
        throw clash(className, name, owner === className ? 'as a method' : `in its base class ${owner}`);
      }
    }
  }
}

/** Class fields are assigned after the base constructor has run, so these are checked at start(). */
export function assertNoReservedOwnFields(instance: object): void {
  for (const name of Object.getOwnPropertyNames(instance)) {
    if (reserved.has(name)) throw clash(classNameOf(instance), name, 'as an instance field');
  }
}
