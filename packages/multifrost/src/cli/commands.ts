/**
 * What `list`, `functions` and `call` do once the command line is valid. Results are the only
 * thing written to stdout; the service's forwarded output and notes go to stderr, so
 * `multifrost call ... --json | jq` always sees exactly one document.
 */
import { FileServiceRegistry, type ServiceRegistry } from '@multifrost/registry';
import { ParentWorker } from '@multifrost/parent';
import type { CommandLine, CommonFlags } from './command-line.js';
import { callArguments } from './call-arguments.js';
import { listTable } from './list-table.js';
import { cliRegistry } from './registry-backend.js';
import { showValue } from './show-value.js';
import { toTaggedJson } from './tagged-json.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Pretty JSON for a person at a terminal, compact for a pipe. */
  readonly interactive: boolean;
}

/** `--registry-dir`, `--registry`, or (neither) undefined: MULTIFROST_REGISTRY, else the file registry. */
function registryChoice(flags: CommonFlags): ServiceRegistry | string | undefined {
  if (flags.registryDir !== undefined) return new FileServiceRegistry({ home: flags.registryDir });
  return flags.registry;
}

function json(value: unknown, io: Io): string {
  return toTaggedJson(value, io.interactive ? 2 : undefined);
}

export async function listCommand(line: Extract<CommandLine, { kind: 'list' }>, io: Io): Promise<number> {
  const { registry, owned } = cliRegistry(registryChoice(line));
  try {
    const entries = (await registry.list()).sort((a, b) => a.serviceId.localeCompare(b.serviceId));
    // Off the file registry a service may live on another host: its endpoint says where.
    const remote = !(registry instanceof FileServiceRegistry);
    if (line.json) {
      io.out(
        json(
          entries.map((e) => ({
            serviceId: e.serviceId,
            ...(remote ? { endpoint: e.endpoint } : {}),
            port: e.port,
            pid: e.pid,
            started: e.started ?? null,
          })),
          io,
        ),
      );
    } else if (entries.length === 0) {
      io.err(
        `no live services registered in ${registry instanceof FileServiceRegistry ? registry.file : String(registry)}`,
      );
    } else {
      io.out(listTable(entries, remote));
    }
    return 0;
  } finally {
    if (owned) await registry.close?.();
  }
}

async function withService<R>(
  line: Extract<CommandLine, { kind: 'functions' | 'call' }>,
  io: Io,
  use: (worker: ParentWorker) => Promise<R>,
): Promise<R> {
  const timeouts =
    line.timeoutMs === undefined ? {} : { startTimeoutMs: line.timeoutMs, defaultTimeoutMs: line.timeoutMs };
  const worker = await ParentWorker.connect(line.serviceId, {
    registry: registryChoice(line),
    clientName: 'multifrost-cli',
    // The service's console lines are not results: keep them off stdout, labelled with who said them.
    output: (text) => io.err(`[${line.serviceId}] ${text}`),
    ...timeouts,
    ...(line.key === undefined
      ? {}
      : {
          security: {
            curve: { key: line.key, ...(line.serverKey === undefined ? {} : { serverKey: line.serverKey }) },
          },
        }),
    ...(line.insecure ? { insecure: true } : {}),
  });
  try {
    return await use(worker);
  } finally {
    await worker.close();
  }
}

export async function functionsCommand(line: Extract<CommandLine, { kind: 'functions' }>, io: Io): Promise<number> {
  const names = await withService(line, io, (worker) => worker.listFunctions());
  if (line.json) io.out(json(names, io));
  else if (names.length > 0) io.out(names.join('\n'));
  else io.err(`${line.serviceId} exposes no functions`);
  return 0;
}

export async function callCommand(line: Extract<CommandLine, { kind: 'call' }>, io: Io): Promise<number> {
  // Checked before connecting, so a typo in an argument costs nothing and touches no service.
  const args = callArguments(line.args, line.stringArgs);
  const result = await withService(line, io, (worker) => worker.callFunction(line.fn, args));
  io.out(line.json ? json(result, io) : showValue(result));
  return 0;
}
