/**
 * Shared by the CURVE e2e tests: a MULTIFROST_HOME with key files (the service's, an allowed
 * client's in <home>/clients, an outsider's), starting fixtures/curve-service.ts, and reading the
 * registry file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeCurveCertificates } from '@multifrost/transport-zmq';
import { FileServiceRegistry } from 'multifrost';
import { fixture, tempHome } from './workers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
type Cleanup = (() => void | Promise<void>)[];

export interface CurveSetup {
  home: string;
  serviceKeys: { publicFile: string; secretFile: string; publicKey: string };
  /** In the service's allow-list. */
  app: string;
  /** A valid key pair the service does not allow. */
  outsider: string;
  registry: FileServiceRegistry;
}

export function killer(proc: ChildProcess): () => Promise<void> {
  return async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    }
  };
}

/** Keys in a fresh MULTIFROST_HOME: the service's, an allowed client's, and an outsider's. */
export async function curveSetup(cleanup: Cleanup): Promise<CurveSetup> {
  const { home, cleanup: rm } = tempHome();
  cleanup.push(rm);
  const service = await writeCurveCertificates(path.join(home, 'keys'), 'service');
  const app = await writeCurveCertificates(path.join(home, 'clients'), 'app');
  const outsider = await writeCurveCertificates(path.join(home, 'others'), 'outsider');
  return {
    home,
    serviceKeys: { publicFile: service.publicFile, secretFile: service.secretFile, publicKey: service.keys.publicKey },
    app: app.secretFile,
    outsider: outsider.secretFile,
    registry: new FileServiceRegistry({ home }),
  };
}

/** Starts fixtures/curve-service.ts as `serviceId`, allowing the keys in <home>/clients. */
export async function startCurveService(setup: CurveSetup, serviceId: string, cleanup: Cleanup): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', tsx, fixture('curve-service.ts')], {
    env: {
      ...process.env,
      MF_SERVICE_ID: serviceId,
      MULTIFROST_HOME: setup.home,
      MF_KEY: setup.serviceKeys.secretFile,
      MF_ALLOW: path.join(setup.home, 'clients'),
      COMLINK_ZMQ_PORT: '',
      MULTIFROST_ENDPOINT: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.push(killer(proc));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready on')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  return proc;
}

export function registryFile(home: string): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8')) as Record<string, Record<string, unknown>>;
}
