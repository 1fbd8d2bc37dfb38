// Off loopback, CURVE is on by default for parents too: an entry naming another host without a
// CURVE key is refused with AUTH_FAILED unless `insecure` (or MULTIFROST_INSECURE=1) allows it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkPlainEntry, insecureAllowed } from '../src/curve-client.js';

afterEach(() => vi.restoreAllMocks());

describe('checkPlainEntry', () => {
  it('lets loopback and non-TCP entries through, as before', () => {
    for (const endpoint of ['tcp://127.0.0.1:4000', 'tcp://[::1]:4000', 'tcp://127.0.0.5:4000', 'ipc:///tmp/a.sock']) {
      expect(() => checkPlainEntry('svc', { serviceId: 'svc', endpoint }, false)).not.toThrow();
    }
  });

  it('refuses a plain entry on another host with AUTH_FAILED, naming the service, endpoint and way out', () => {
    const entry = { serviceId: 'svc', endpoint: 'tcp://10.0.0.7:4000', host: '10.0.0.7' };
    expect(() => checkPlainEntry('svc', entry, false)).toThrow(
      expect.objectContaining({
        code: 'AUTH_FAILED',
        message: expect.stringMatching(/'svc' at tcp:\/\/10\.0\.0\.7:4000 .*insecure: true/),
      }),
    );
    // The host is read from the endpoint when the entry has none.
    expect(() => checkPlainEntry('svc', { serviceId: 'svc', endpoint: 'tcp://[fd00::1]:4000' }, false)).toThrow(
      /off loopback/,
    );
  });

  it('with insecure, warns once per endpoint on stderr and lets it through', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const entry = { serviceId: 'svc', endpoint: 'tcp://10.9.9.9:4001', host: '10.9.9.9' };
    checkPlainEntry('svc', entry, true);
    checkPlainEntry('svc', entry, true);
    expect(write).toHaveBeenCalledTimes(1);
    expect(String(write.mock.calls[0]![0])).toMatch(/WARNING: .*tcp:\/\/10\.9\.9\.9:4001 WITHOUT CURVE/);
  });

  it('insecure comes from the option, else MULTIFROST_INSECURE', () => {
    expect(insecureAllowed(undefined, {})).toBe(false);
    expect(insecureAllowed(undefined, { MULTIFROST_INSECURE: '1' })).toBe(true);
    expect(insecureAllowed(undefined, { MULTIFROST_INSECURE: 'no' })).toBe(false);
    expect(insecureAllowed(false, { MULTIFROST_INSECURE: '1' })).toBe(false);
    expect(insecureAllowed(true, {})).toBe(true);
  });
});
