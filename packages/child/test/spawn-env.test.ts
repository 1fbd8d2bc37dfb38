import { describe, expect, it } from 'vitest';
import { takeSpawnEnv } from '../src/spawn-env.js';

describe('takeSpawnEnv', () => {
  it('reads the port and parent pid and removes them from the environment', () => {
    const env: NodeJS.ProcessEnv = {
      COMLINK_ZMQ_PORT: '5555',
      COMLINK_WORKER_MODE: '1',
      MULTIFROST_PARENT_PID: '42',
      KEEP: 'x',
    };
    expect(takeSpawnEnv(env)).toEqual({ port: 5555, parentPid: 42 });
    expect(env).toEqual({ KEEP: 'x' });
  });

  it('is undefined outside spawn mode', () => {
    expect(takeSpawnEnv({})).toBeUndefined();
    expect(takeSpawnEnv({ COMLINK_ZMQ_PORT: '' })).toBeUndefined();
  });

  it.each(['5555abc', '80', '70000', '-1', ' 5555', '55.5'])('refuses the port %j with a clear error', (raw) => {
    expect(() => takeSpawnEnv({ COMLINK_ZMQ_PORT: raw })).toThrow(
      /Invalid port .* in COMLINK_ZMQ_PORT: expected an integer in 1024-65535/,
    );
  });

  it('prefers MULTIFROST_ENDPOINT, and needs no port with it', () => {
    const env: NodeJS.ProcessEnv = {
      COMLINK_ZMQ_PORT: '5555',
      MULTIFROST_ENDPOINT: 'tcp://127.0.0.1:5555',
      MULTIFROST_PARENT_PID: '7',
    };
    expect(takeSpawnEnv(env)).toEqual({ port: 5555, endpoint: 'tcp://127.0.0.1:5555', parentPid: 7 });
    expect(env).toEqual({});
    const ipc: NodeJS.ProcessEnv = { MULTIFROST_ENDPOINT: 'ipc:///tmp/x.sock' };
    expect(takeSpawnEnv(ipc)).toEqual({ port: undefined, endpoint: 'ipc:///tmp/x.sock', parentPid: undefined });
    expect(ipc).toEqual({});
  });
});
