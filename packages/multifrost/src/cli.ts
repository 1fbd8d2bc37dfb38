/**
 * The `multifrost` command: look at the registry and call services from a shell.
 *   multifrost list                         services registered and alive
 *   multifrost call <service> <fn> [args…]  call a connect-mode service; args are JSON (else strings)
 *   multifrost functions <service>          what a service exposes
 */
import { FileServiceRegistry } from '@multifrost/registry';
import { ParentWorker } from '@multifrost/parent';
import { isMultifrostError } from '@multifrost/protocol';

const USAGE = `usage:
  multifrost list
  multifrost functions <service-id>
  multifrost call <service-id> <function> [arg ...]   (each arg is parsed as JSON, else taken as a string)
environment: MULTIFROST_HOME (registry directory, default ~/.multifrost)`;

function parseArg(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function show(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return `<${((v as { data: number[] }).data ?? []).length} bytes>`;
      return v;
    },
    2,
  );
}

export async function main(argv: string[]): Promise<number> {
  const [command, serviceId, fn, ...rest] = argv;
  const registry = new FileServiceRegistry();
  switch (command) {
    case 'list': {
      const entries = await registry.list();
      if (entries.length === 0) console.log(`no live services in ${registry.file}`);
      for (const e of entries) console.log(`${e.serviceId}\tport ${e.port}\tpid ${e.pid}\tstarted ${e.started ?? '?'}`);
      return 0;
    }
    case 'functions':
    case 'call': {
      if (!serviceId || (command === 'call' && !fn)) break;
      const worker = await ParentWorker.connect(serviceId, { registry, output: 'inherit' });
      try {
        const result = command === 'functions' ? await worker.listFunctions() : await worker.callFunction(fn!, rest.map(parseArg));
        console.log(show(result));
      } finally {
        await worker.close();
      }
      return 0;
    }
    default:
      break;
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(isMultifrostError(err) ? `multifrost: ${err.code}: ${err.message}` : err);
    process.exitCode = 1;
  },
);
