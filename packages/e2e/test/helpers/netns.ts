/**
 * Several "hosts" on one machine for the multi-host tests: network namespaces `mf-<pid>-1..4`, each
 * with its own `eth0` and address in 10.199.<n>.0/24, joined by a bridge that lives in a fifth
 * namespace (`mf-<pid>-br`), so nothing on the machine's own interfaces or routes changes and the
 * subnet cannot collide with a real one. Processes are started inside with `ip netns exec`, which
 * execs in place (the pid we get is the process's). `dispose()` kills those processes and deletes
 * the namespaces (which takes their veths with them); it also runs on process exit.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

// A non-login root shell may lack /usr/sbin on PATH.
const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : 'ip';

/** Why the namespace tests cannot run here, or undefined when they can (root and `ip` present). */
export function netnsUnavailable(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (ip netns add)';
  if (spawnSync(IP, ['-V'], { stdio: 'ignore' }).status !== 0) return 'needs ip (Debian: apt-get install iproute2)';
  return undefined;
}

export interface Host {
  /** The namespace's name. */
  ns: string;
  /** Its address on the bridge. */
  addr: string;
  /** The bridge-side end of its veth (in the bridge namespace): `cut()` takes it down. */
  link: string;
}

export class Netns {
  readonly prefix: string;
  readonly subnet: string;
  readonly hosts: Host[] = [];
  private readonly bridgeNs: string;
  private readonly procs = new Set<ChildProcess>();
  private disposed = false;
  private readonly onExit = () => this.disposeSync();

  private constructor(count: number) {
    this.prefix = `mf-${process.pid}-`;
    // Inside their own namespaces, so any /24 would do; the pid keeps two test files apart in `ip addr` output.
    this.subnet = `10.199.${(process.pid % 200) + 20}`;
    this.bridgeNs = `${this.prefix}br`;
    for (let i = 1; i <= count; i++) {
      this.hosts.push({ ns: `${this.prefix}${i}`, addr: `${this.subnet}.${10 + i}`, link: `v${i}` });
    }
  }

  /** Creates the bridge namespace and `count` hosts on it; on any failure removes what it made. */
  static create(count = 4): Netns {
    removeStale();
    const net = new Netns(count);
    process.once('exit', net.onExit);
    try {
      ip('netns', 'add', net.bridgeNs);
      ip('-n', net.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', net.bridgeNs, 'link', 'set', 'br0', 'up');
      for (const h of net.hosts) {
        ip('netns', 'add', h.ns);
        ip('-n', net.bridgeNs, 'link', 'add', h.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns);
        ip('-n', net.bridgeNs, 'link', 'set', h.link, 'master', 'br0', 'up');
        ip('-n', h.ns, 'addr', 'add', `${h.addr}/24`, 'dev', 'eth0');
        ip('-n', h.ns, 'link', 'set', 'eth0', 'up');
        ip('-n', h.ns, 'link', 'set', 'lo', 'up');
      }
    } catch (err) {
      net.disposeSync();
      throw err;
    }
    return net;
  }

  host(i: number): Host {
    const h = this.hosts[i - 1];
    if (!h) throw new Error(`no host ${i} (there are ${this.hosts.length})`);
    return h;
  }

  /** Starts `command` inside host i's namespace; it is SIGKILLed at dispose() if still running. */
  spawn(i: number, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const proc = spawn(IP, ['netns', 'exec', this.host(i).ns, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    });
    this.procs.add(proc);
    proc.once('exit', () => this.procs.delete(proc));
    return proc;
  }

  /** Takes host i's link to the bridge down (`up = false`) or back up: a cable pulled and put back. */
  setLink(i: number, up: boolean): void {
    ip('-n', this.bridgeNs, 'link', 'set', this.host(i).link, up ? 'up' : 'down');
  }

  /** Our namespaces that exist right now (for the leftover check). */
  static leftovers(prefix: string): string[] {
    const out = spawnSync(IP, ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    return out
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => name.startsWith(prefix));
  }

  async dispose(): Promise<void> {
    const exits = [...this.procs].map(
      (p) =>
        new Promise<void>((resolve) =>
          p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve()),
        ),
    );
    for (const p of this.procs) p.kill('SIGKILL');
    await Promise.all(exits);
    this.disposeSync();
  }

  private disposeSync(): void {
    if (this.disposed) return;
    this.disposed = true;
    process.removeListener('exit', this.onExit);
    for (const p of this.procs) p.kill('SIGKILL');
    // Deleting a namespace deletes the veth ends inside it, and with them their peers.
    for (const name of [...this.hosts.map((h) => h.ns), this.bridgeNs]) {
      spawnSync(IP, ['netns', 'del', name], { stdio: 'ignore' });
    }
  }
}

/**
 * Namespaces of test processes that died without cleaning up (SIGKILLed, so no exit handler ran):
 * their pid is in the name, and a namespace whose pid is gone is nobody's.
 */
function removeStale(): void {
  for (const name of Netns.leftovers('mf-')) {
    const pid = Number(/^mf-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      spawnSync(IP, ['netns', 'del', name], { stdio: 'ignore' });
    }
  }
}

function ip(...args: string[]): void {
  try {
    execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || String(err)}`);
  }
}
