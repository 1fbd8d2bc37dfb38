// Builds the compiled interop peers once per test run; Go's and Cargo's own caches make a
// rebuild cheap. A missing toolchain fails loudly: CI must not skip these peers silently.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const interopDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const goDir = path.join(interopDir, 'go');
export const goPeer = path.join(goDir, 'bin', 'peer');

let goBuilt: string | undefined;

/** `go build` of packages/interop/go into go/bin/peer (gitignored); returns the binary's path. */
export function buildGo(): string {
  if (goBuilt) return goBuilt;
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `the Go interop peer needs the go toolchain on PATH (go 1.26 and the module proxy): ${probe.error?.message ?? probe.stderr}`,
    );
  }
  mkdirSync(path.dirname(goPeer), { recursive: true });
  const run = spawnSync('go', ['build', '-o', goPeer, '.'], {
    cwd: goDir,
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=mod`.trim() },
    timeout: 180_000,
  });
  if (run.status !== 0) throw new Error(`go build failed (${run.status}): ${run.stderr}${run.error ?? ''}`);
  goBuilt = goPeer;
  return goPeer;
}

export const rustDir = path.join(interopDir, 'rust');
const rustTarget = path.join(rustDir, 'target');
export const rustPeer = path.join(rustTarget, 'release', 'rust-peer');

let rustBuilt: string | undefined;

/** `cargo build --release --locked` of packages/interop/rust into rust/target (gitignored); returns the binary's path. */
export function buildRust(): string {
  if (rustBuilt) return rustBuilt;
  // rustup puts cargo in ~/.cargo/bin, which a non-login shell may not have on PATH.
  const rustupCargo = path.join(process.env.CARGO_HOME ?? path.join(homedir(), '.cargo'), 'bin', 'cargo');
  const cargo = spawnSync('cargo', ['--version']).error && existsSync(rustupCargo) ? rustupCargo : 'cargo';
  const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `the Rust interop peer needs cargo on PATH (rustup's stable toolchain and crates.io): ${probe.error?.message ?? probe.stderr}`,
    );
  }
  // Test files build in parallel workers; cargo's own lock on the target dir serialises them.
  const run = spawnSync(cargo, ['build', '--release', '--locked'], {
    cwd: rustDir,
    encoding: 'utf8',
    env: { ...process.env, CARGO_TARGET_DIR: rustTarget },
    timeout: 600_000,
  });
  if (run.status !== 0) throw new Error(`cargo build failed (${run.status}): ${run.stderr}${run.error ?? ''}`);
  rustBuilt = rustPeer;
  return rustPeer;
}
