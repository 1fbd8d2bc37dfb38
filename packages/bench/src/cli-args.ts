/** The bench scripts' command lines: `--name value` numbers, and the bare words between them. */

/** The number after `--name`, or `fallback` when the flag is absent. */
export function numberFlag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** The arguments that are neither a flag nor the value right after one (target names). */
export function bareWords<T extends string = string>(args: readonly string[]): T[] {
  return args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) as T[];
}
