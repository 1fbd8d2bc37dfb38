/**
 * The `multifrost` command from argv to exit code: 0 success, 1 the service or the registry
 * failed, 2 the command line was wrong. Every failure is one `multifrost: ...` line on stderr.
 */
import { isMultifrostError, RemoteCallError } from '@multifrost/protocol';
import { parseCommandLine, UsageError } from './command-line.js';
import { callCommand, functionsCommand, listCommand, type Io } from './commands.js';
import { keygenCommand } from './keygen-command.js';
import { usage } from './usage.js';
import { packageVersion } from './version.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

function describeFailure(err: unknown): string {
  if (err instanceof UsageError) return err.message;
  if (isMultifrostError(err)) {
    const remoteCode = err instanceof RemoteCallError && err.remoteCode ? ` [${err.remoteCode}]` : '';
    return `${err.code}: ${err.message}${remoteCode}`;
  }
  // Not one of ours: a bug or an environment problem, so the stack is what helps.
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const line = parseCommandLine(argv);
    switch (line.kind) {
      case 'help':
        io.out(usage(line.topic));
        return EXIT_OK;
      case 'version':
        io.out(packageVersion());
        return EXIT_OK;
      case 'usage-overview':
        io.err(usage());
        return EXIT_USAGE;
      case 'list':
        return await listCommand(line, io);
      case 'functions':
        return await functionsCommand(line, io);
      case 'call':
        return await callCommand(line, io);
      case 'keygen':
        return await keygenCommand(line, io);
    }
  } catch (err) {
    io.err(`multifrost: ${describeFailure(err)}`);
    if (err instanceof UsageError) {
      io.err(`Run 'multifrost ${err.command ? `${err.command} ` : ''}--help' for usage.`);
      return EXIT_USAGE;
    }
    return EXIT_FAILED;
  }
}
