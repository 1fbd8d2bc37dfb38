/**
 * The help texts of the `multifrost` command: one overview and one page per subcommand, printed
 * to stdout by `--help` (exit 0) and pointed at from every usage error.
 */

export type CommandName = 'list' | 'functions' | 'call' | 'keygen';

const OVERVIEW = `multifrost: look at the service registry and call connect-mode services from a shell

usage:
  multifrost list [--json]
  multifrost functions <service-id> [--json] [--timeout <ms>] [--key <file> [--server-key <key>] | --insecure]
  multifrost call <service-id> <function> [arg ...] [--json] [--timeout <ms>] [--string-args] [--key <file> ...]
  multifrost keygen <dir> <name> [--json]
  multifrost help [command]

global options:
  --json               machine-readable output: exactly one JSON document on stdout
  --registry-dir <dir> registry directory (default: $MULTIFROST_HOME, else ~/.multifrost)
  --registry <url>     another registry: redis://host:6379/0 (needs @multifrost/registry-redis)
                       (default: $MULTIFROST_REGISTRY, else the registry directory)
  -h, --help           show help (also: multifrost <command> --help)
  -v, --version        print the version

Results go to stdout; the service's forwarded output and all diagnostics go to stderr.
Exit codes: 0 success, 1 the call or connection failed, 2 usage error.`;

const CLIENT_FLAGS = `  --key <file>        connect with CURVE, as this key pair (NAME.key_secret; the service must allow it)
  --server-key <key>  the service's public key (.key file or Z85): its registry entry must name it
  --insecure          talk to a service on another host without CURVE (unauthenticated; a warning)`;

const PAGES: Record<CommandName, string> = {
  list: `usage: multifrost list [--json] [--registry-dir <dir> | --registry <url>]

Lists the services registered and alive in the registry. Without --json: an aligned table
(SERVICE, PORT, PID, STARTED; ENDPOINT instead of PORT on a --registry URL); with none registered,
nothing on stdout and a note on stderr.
With --json: a JSON array of {"serviceId", "port", "pid", "started"} objects ([] when empty),
with "endpoint" too on a --registry URL.`,
  functions: `usage: multifrost functions <service-id> [--json] [--timeout <ms>] [--registry-dir <dir>]

Lists the functions a service exposes: one name per line, or a JSON array with --json.
  --timeout <ms>   give up connecting, and then listing, after this long (default 5000 / 60000)
${CLIENT_FLAGS}`,
  call: `usage: multifrost call <service-id> <function> [arg ...] [--json] [--timeout <ms>] [--string-args]

Calls <function> on a connect-mode service and prints its result.
Each arg is JSON: 42, true, null, '"Ada"' (quote strings for the shell), '[1,2]', '{"a":1}'.
Bytes and big integers are written as {"$bytes":"<base64>"} and {"$bigint":"<digits>"}.
  --string-args, -s  send every arg as a string, unparsed (multifrost call greeter greet -s Ada)
  --timeout <ms>     give up connecting, and then the call, after this long (default 5000 / 60000)
  --json             print the result as one JSON document, bytes and big integers tagged as above
Without --json the result is printed JSON-like, bytes as <Buffer 01 02 03> and big integers as 123n.
Put -- before args that start with a dash and are not numbers.
${CLIENT_FLAGS}`,
  keygen: `usage: multifrost keygen <dir> <name> [--json]

Writes a CURVE key pair for connect mode's security option: <dir>/<name>.key (the public key, to
hand out: a service's allow-list, a parent's serverKey) and <dir>/<name>.key_secret (mode 0600,
keep it private). The format is pyzmq's zmq.auth certificate format, so Python peers read them too.
Existing files of that name are replaced. Prints the public key, or {"publicKey", "publicFile",
"secretFile"} with --json.`,
};

export function usage(command?: CommandName): string {
  return command ? PAGES[command] : OVERVIEW;
}

export function isCommandName(name: string | undefined): name is CommandName {
  return name === 'list' || name === 'functions' || name === 'call' || name === 'keygen';
}
