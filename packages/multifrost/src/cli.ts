/**
 * Entry point of the `multifrost` bin (bundled to dist/cli.js): wires the command to the real
 * stdout/stderr and sets the exit code. The command itself lives in ./cli/.
 */
import { main } from './cli/main.js';

// `multifrost list | head -1` closes our stdout early; that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

const io = {
  out: (text: string) => void process.stdout.write(`${text}\n`),
  err: (text: string) => void process.stderr.write(`${text}\n`),
  interactive: process.stdout.isTTY === true,
};

void main(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
