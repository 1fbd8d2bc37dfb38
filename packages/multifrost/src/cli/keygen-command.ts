/**
 * `multifrost keygen <dir> <name>`: a CURVE key pair as zmq.auth certificate files, so setting up
 * connect mode's `security` needs no Python and no hand-written key files.
 */
import path from 'node:path';
import { writeCurveCertificates } from '@multifrost/transport-zmq';
import type { CommandLine } from './command-line.js';
import type { Io } from './commands.js';

export async function keygenCommand(line: Extract<CommandLine, { kind: 'keygen' }>, io: Io): Promise<number> {
  const { publicFile, secretFile, keys } = await writeCurveCertificates(path.resolve(line.dir), line.name);
  if (line.json) {
    io.out(JSON.stringify({ publicKey: keys.publicKey, publicFile, secretFile }, null, io.interactive ? 2 : undefined));
  } else {
    io.out(keys.publicKey);
    io.err(`wrote ${publicFile} (public) and ${secretFile} (secret, mode 0600)`);
  }
  return 0;
}
