/**
 * Turns argv into one validated command, with `util.parseArgs` doing the option syntax. Anything
 * wrong with what the user typed becomes a `UsageError` (exit 2), never a half-run command.
 */
import { parseArgs } from 'node:util';
import { isCommandName, type CommandName } from './usage.js';

/** What the user typed cannot be run; the message says what to change. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommonFlags {
  json: boolean;
  registryDir: string | undefined;
  /** `--registry <url>` (redis://…, file:///dir); neither flag: MULTIFROST_REGISTRY, else the file registry. */
  registry: string | undefined;
}

/** How `functions` and `call` reach a service on another host: CURVE keys, or plainly on purpose. */
export interface ClientFlags {
  /** `--key <file>`: our CURVE key pair (a `.key_secret` file), which the service must allow. */
  key: string | undefined;
  /** `--server-key <file|z85>`: the service's public key; the registry entry must name it. */
  serverKey: string | undefined;
  /** `--insecure`: talk to a service off loopback without CURVE. */
  insecure: boolean;
}

export type CommandLine =
  | { kind: 'help'; topic: CommandName | undefined }
  | { kind: 'version' }
  | { kind: 'usage-overview' }
  | ({ kind: 'list' } & CommonFlags)
  | ({ kind: 'functions'; serviceId: string; timeoutMs: number | undefined } & CommonFlags & ClientFlags)
  | ({
      kind: 'call';
      serviceId: string;
      fn: string;
      args: string[];
      stringArgs: boolean;
      timeoutMs: number | undefined;
    } & CommonFlags &
      ClientFlags)
  | ({ kind: 'keygen'; dir: string; name: string } & CommonFlags);

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  timeout: { type: 'string' },
  'registry-dir': { type: 'string' },
  registry: { type: 'string' },
  'string-args': { type: 'boolean', short: 's' },
  key: { type: 'string' },
  'server-key': { type: 'string' },
  insecure: { type: 'boolean' },
} as const;

// A JSON number such as -1 or -2.5e3: parseArgs would read it as a short option, but as a call
// argument it is plainly a value, so it is hidden from parseArgs and restored afterwards.
const NEGATIVE_NUMBER = /^-(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
// argv entries are C strings and cannot contain NUL, so this marker never collides with real input.
const MARK = '\u0000';

function hideNegativeNumbers(argv: string[]): { args: string[]; restore: (s: string) => string } {
  const hidden: string[] = [];
  let afterDashDash = false;
  const args = argv.map((a) => {
    if (a === '--') afterDashDash = true;
    if (afterDashDash || !NEGATIVE_NUMBER.test(a)) return a;
    hidden.push(a);
    return `${MARK}${hidden.length - 1}`;
  });
  const restore = (s: string): string => (s.startsWith(MARK) ? (hidden[Number(s.slice(1))] ?? s) : s);
  return { args, restore };
}

function parseTimeout(text: string | undefined, command: CommandName): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) <= 0) {
    throw new UsageError(`--timeout needs a positive whole number of milliseconds, got '${text}'`, command);
  }
  return Number(text);
}

export function parseCommandLine(argv: string[]): CommandLine {
  const { args, restore } = hideNegativeNumbers(argv);
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replaceAll(MARK, ''));
  }
  const values = parsed.values;
  const positionals = parsed.positionals.map(restore);
  const [name, ...rest] = positionals;
  const command = isCommandName(name) ? name : undefined;

  if (values.help)
    return { kind: 'help', topic: command ?? (name === 'help' && isCommandName(rest[0]) ? rest[0] : undefined) };
  if (values.version) return { kind: 'version' };
  if (name === undefined) return { kind: 'usage-overview' };
  if (name === 'help') {
    if (rest.length > 1 || (rest[0] !== undefined && !isCommandName(rest[0]))) {
      throw new UsageError(`no help for '${rest.join(' ')}': the commands are list, functions, call and keygen`);
    }
    return { kind: 'help', topic: rest[0] as CommandName | undefined };
  }
  if (!command)
    throw new UsageError(`unknown command '${name}': the commands are list, functions, call, keygen and help`);

  const registryDir = values['registry-dir'] === undefined ? undefined : restore(values['registry-dir']);
  if (registryDir === '') throw new UsageError('--registry-dir needs a directory', command);
  const registry = values.registry === undefined ? undefined : restore(values.registry);
  if (registry === '') throw new UsageError('--registry needs a URL, such as redis://127.0.0.1:6379/0', command);
  if (registry !== undefined && registryDir !== undefined)
    throw new UsageError('--registry and --registry-dir name two registries: give one', command);
  const common: CommonFlags = { json: values.json ?? false, registryDir, registry };
  const timeoutText = values.timeout === undefined ? undefined : restore(values.timeout);
  if (command !== 'call' && values['string-args']) throw new UsageError('--string-args applies to call only', command);
  const client = clientFlags(values, restore, command);

  switch (command) {
    case 'keygen': {
      if (timeoutText !== undefined)
        throw new UsageError('--timeout applies to call and functions, not keygen', command);
      const [dir, keyName, ...extra] = rest;
      if (dir === undefined || keyName === undefined || extra.length > 0 || dir === '' || keyName === '') {
        throw new UsageError(`keygen needs a <dir> and a <name>, got ${rest.length} arguments`, command);
      }
      if (/[/\\]/.test(keyName))
        throw new UsageError(`keygen: <name> must be a plain file name, got '${keyName}'`, command);
      return { kind: 'keygen', dir, name: keyName, ...common };
    }
    case 'list':
      if (timeoutText !== undefined) throw new UsageError('--timeout applies to call and functions, not list', command);
      if (rest.length > 0) throw new UsageError(`list takes no arguments, got '${rest.join(' ')}'`, command);
      return { kind: 'list', ...common };
    case 'functions': {
      const timeoutMs = parseTimeout(timeoutText, command);
      if (rest.length !== 1)
        throw new UsageError(`functions needs exactly one <service-id>, got ${rest.length} arguments`, command);
      return { kind: 'functions', serviceId: rest[0]!, timeoutMs, ...common, ...client };
    }
    case 'call': {
      const timeoutMs = parseTimeout(timeoutText, command);
      const [serviceId, fn, ...callArgs] = rest;
      if (serviceId === undefined || fn === undefined)
        throw new UsageError('call needs a <service-id> and a <function>', command);
      return {
        kind: 'call',
        serviceId,
        fn,
        args: callArgs,
        stringArgs: values['string-args'] ?? false,
        timeoutMs,
        ...common,
        ...client,
      };
    }
  }
}

/** `--key`, `--server-key` and `--insecure`, which only `functions` and `call` take. */
function clientFlags(
  values: { key?: string; 'server-key'?: string; insecure?: boolean },
  restore: (s: string) => string,
  command: CommandName,
): ClientFlags {
  const key = values.key === undefined ? undefined : restore(values.key);
  const serverKey = values['server-key'] === undefined ? undefined : restore(values['server-key']);
  const insecure = values.insecure ?? false;
  if (command !== 'functions' && command !== 'call' && (key !== undefined || serverKey !== undefined || insecure))
    throw new UsageError('--key, --server-key and --insecure apply to functions and call only', command);
  if (key === '') throw new UsageError('--key needs our key pair file (NAME.key_secret)', command);
  if (serverKey === '')
    throw new UsageError("--server-key needs the service's public key (a .key file or Z85)", command);
  if (serverKey !== undefined && key === undefined)
    throw new UsageError('--server-key checks a CURVE connection: give --key too', command);
  if (insecure && key !== undefined)
    throw new UsageError('--insecure and --key contradict each other: give one', command);
  return { key, serverKey, insecure };
}
