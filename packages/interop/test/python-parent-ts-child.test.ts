import { describe, expect, it } from 'vitest';
import { pythonParent, tsWorkerCommand, type DriverLine } from './helpers.js';

function ok(line: DriverLine | undefined) {
  if (!line || !line.ok) throw new Error(`expected a result, got ${JSON.stringify(line)}`);
  return line.result;
}

describe.each(['comlink_ipc_v3', 'comlink_ipc_v4'])('Python parent → TS child (spawn mode, %s)', (app) => {
  it('calls, sees every value-table row with the right Python type, and gets TS errors by name', () => {
    const lines = pythonParent({
      spawn: tsWorkerCommand,
      app,
      calls: [
        ['add', [1, 2]],
        ['values', []],
        ['echo', [2 ** 40]],
        ['fail', ['bad input']],
        ['__multifrost_list_functions__', []],
      ],
    });
    expect(ok(lines[0])).toEqual({ type: 'int', repr: '3' });
    const values = ok(lines[1]).items as { type: string; repr?: string; hex?: string; value?: unknown }[];
    expect(values.map((v) => v.type)).toEqual([
      'NoneType',
      'bool',
      'int',
      'int',
      'int',
      'int',
      'int',
      'int',
      'float',
      'float',
      'float',
      'str',
      'str',
      'bytes',
      'list',
      'list',
      'dict',
      'dict',
      'Timestamp',
    ]);
    expect(values[4]!.repr).toBe('1099511627776');
    expect(values[6]!.repr).toBe('9223372036854775807');
    expect(values[7]!.repr).toBe('18446744073709551615');
    expect(values[9]!.repr).toBe('nan');
    expect(values[12]!.value).toBe('héllo 🌍');
    expect(values[13]!.hex).toBe('00ff');
    expect(ok(lines[2])).toEqual({ type: 'int', repr: '1099511627776' });
    const err = lines[3]!;
    expect(err.ok).toBe(false);
    if (!err.ok) {
      expect(err.name).toBe('TypeError');
      expect(err.message).toBe('bad input');
    }
    expect((ok(lines[4]).items as { value: string }[]).map((x) => x.value)).toEqual([
      'add',
      'burn',
      'echo',
      'fail',
      'pid',
      'shout',
      'sleep',
      'values',
    ]);
  });
});
