// The CLI's flags for reaching a service on another host: --key (and --server-key) for CURVE,
// --insecure for a plain one, accepted by functions and call only, and never both ways at once.
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/cli/command-line.js';

describe('--key, --server-key and --insecure', () => {
  it('reach functions and call', () => {
    expect(parseCommandLine(['functions', 'svc', '--key', 'app.key_secret', '--server-key', 'svc.key'])).toMatchObject({
      kind: 'functions',
      key: 'app.key_secret',
      serverKey: 'svc.key',
      insecure: false,
    });
    expect(parseCommandLine(['call', 'svc', 'add', '1', '-2', '--insecure'])).toMatchObject({
      kind: 'call',
      args: ['1', '-2'],
      key: undefined,
      insecure: true,
    });
  });

  it('are usage errors where they make no sense', () => {
    expect(() => parseCommandLine(['list', '--key', 'a.key_secret'])).toThrow(/functions and call only/);
    expect(() => parseCommandLine(['keygen', 'd', 'n', '--insecure'])).toThrow(/functions and call only/);
    expect(() => parseCommandLine(['call', 'svc', 'f', '--server-key', 'svc.key'])).toThrow(/give --key too/);
    expect(() => parseCommandLine(['call', 'svc', 'f', '--key', 'a', '--insecure'])).toThrow(/contradict/);
    expect(() => parseCommandLine(['call', 'svc', 'f', '--key', ''])).toThrow(/--key needs/);
  });
});
