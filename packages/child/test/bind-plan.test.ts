// Connect mode's bind and advertise rules: what gets bound, what the registry records, and the
// starts that are refused (a wildcard bind with nothing to advertise, off loopback without CURVE).
import { describe, expect, it } from 'vitest';
import { bindPlan, type BindPlanInput } from '../src/bind-plan.js';

const base: BindPlanInput = { serviceId: 'svc', curve: false };
const plan = (over: Partial<BindPlanInput>, env: NodeJS.ProcessEnv = {}) => bindPlan({ ...base, ...over }, env);

describe('bindPlan', () => {
  it('changes nothing on loopback: the transport picks the port, the bound endpoint is advertised', () => {
    const p = plan({});
    expect(p.bind).toBeUndefined();
    expect(p.warnInsecure).toBe(false);
    expect(p.advertised('tcp://127.0.0.1:4100')).toBe('tcp://127.0.0.1:4100');
    expect(plan({ port: 4100 }).bind).toBe('tcp://127.0.0.1:4100');
    expect(plan({ endpoint: 'ipc:///tmp/x.sock' }).advertised('ipc:///tmp/x.sock')).toBe('ipc:///tmp/x.sock');
  });

  it('binds a specific address and advertises it; advertise may replace the host and the port', () => {
    const p = plan({ host: '10.0.0.7', curve: true });
    expect(p.bind).toBe('tcp://10.0.0.7:0');
    expect(p.advertised('tcp://10.0.0.7:4100')).toBe('tcp://10.0.0.7:4100');
    const wide = plan({ host: '0.0.0.0', advertise: '10.0.0.7', curve: true });
    expect(wide.advertised('tcp://0.0.0.0:4100')).toBe('tcp://10.0.0.7:4100');
    expect(
      plan({ host: '0.0.0.0', advertise: 'scorer.internal:7000', curve: true }).advertised('tcp://0.0.0.0:4100'),
    ).toBe('tcp://scorer.internal:7000');
    expect(plan({ host: '::', advertise: '[fd00::7]:7000', curve: true }).advertised('tcp://[::]:1')).toBe(
      'tcp://[fd00::7]:7000',
    );
    expect(plan({ host: '::', advertise: 'fd00::7', curve: true }).advertised('tcp://[::]:9')).toBe(
      'tcp://[fd00::7]:9',
    );
  });

  it('reads MULTIFROST_HOST, MULTIFROST_ADVERTISE and MULTIFROST_INSECURE when the options are not given', () => {
    const p = plan({}, { MULTIFROST_HOST: '0.0.0.0', MULTIFROST_ADVERTISE: '10.1.2.3', MULTIFROST_INSECURE: '1' });
    expect(p.bind).toBe('tcp://0.0.0.0:0');
    expect(p.warnInsecure).toBe(true);
    expect(p.advertised('tcp://0.0.0.0:5')).toBe('tcp://10.1.2.3:5');
    // An option wins over its variable.
    expect(() => plan({ insecure: false }, { MULTIFROST_HOST: '10.1.2.3', MULTIFROST_INSECURE: '1' })).toThrow(/CURVE/);
  });

  it('refuses a wildcard bind with nothing to advertise, naming the option to set', () => {
    for (const over of [
      { host: '0.0.0.0' },
      { endpoint: 'tcp://0.0.0.0:5000' },
      { host: '::' },
      { transportHost: '0.0.0.0' },
    ]) {
      expect(() => plan({ ...over, curve: true })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/set advertise/) }),
      );
    }
  });

  it('refuses off loopback without CURVE unless insecure, and then asks for a warning', () => {
    expect(() => plan({ host: '10.0.0.7' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/insecure: true/) }),
    );
    expect(() => plan({ endpoint: 'tcp://10.0.0.7:5000' })).toThrow(/CURVE is on by default/);
    expect(plan({ host: '10.0.0.7', insecure: true }).warnInsecure).toBe(true);
    expect(plan({ host: '10.0.0.7', curve: true }).warnInsecure).toBe(false);
    expect(plan({ host: '127.0.0.2' }).warnInsecure).toBe(false);
  });

  it('says what is wrong with a malformed host or advertise', () => {
    expect(() => plan({ host: '' })).toThrow(/host must be/);
    expect(() => plan({ host: 42 as unknown as string })).toThrow(/host must be/);
    expect(() => plan({ host: '0.0.0.0', advertise: '0.0.0.0', curve: true })).toThrow(/not a wildcard/);
    expect(() => plan({ host: '0.0.0.0', advertise: 'h:99999', curve: true })).toThrow(/advertise must be/);
    expect(() => plan({ host: '0.0.0.0', advertise: 'a b', curve: true })).toThrow(/advertise must be/);
    expect(() => plan({ host: '10.0.0.7', endpoint: 'tcp://10.0.0.7:1', curve: true })).toThrow(/not both/);
  });
});
