import { describe, expect, it } from 'vitest';
import { MultifrostError, RemoteCallError, errorInitFrom, isMultifrostError, parseRemoteError } from '../src/index.js';

describe('error family', () => {
  it('MultifrostError has a code, cause and details; the guard works across copies', () => {
    const cause = new Error('root');
    const err = new MultifrostError('TIMEOUT', 'too slow', { cause, details: { limit: 5 } });
    expect([err.code, err.cause, err.details.limit, err.name]).toEqual(['TIMEOUT', cause, 5, 'MultifrostError']);
    expect(isMultifrostError(err)).toBe(true);
    const foreign = Object.assign(new Error('x'), { [Symbol.for('multifrost.error')]: true, code: 'CLOSED' });
    expect(isMultifrostError(foreign)).toBe(true);
    expect(isMultifrostError(new Error('x'))).toBe(false);
    expect(isMultifrostError(null)).toBe(false);
  });

  it('RemoteCallError keeps the remote name, message, stack and says where', () => {
    const err = new RemoteCallError({
      remoteType: 'KeyError',
      remoteMessage: "'x'",
      remoteStack: 'Traceback…',
      functionName: 'get',
      worker: 'model.py',
    });
    expect(err.code).toBe('REMOTE_ERROR');
    expect(err.message).toBe("KeyError: 'x' (remote in get() on model.py)");
    expect(err.stack).toMatch(/--- remote stack ---\nTraceback…/);
    expect(err).toBeInstanceOf(MultifrostError);
  });

  it('errorInitFrom handles Error subclasses, codes, and thrown non-errors', () => {
    class ValidationError extends Error {
      code = 'E_VAL';
      override name = 'ValidationError';
    }
    expect(errorInitFrom(new ValidationError('bad'))).toMatchObject({
      name: 'ValidationError',
      message: 'bad',
      code: 'E_VAL',
    });
    expect(errorInitFrom(new TypeError('t')).stack).toMatch(/TypeError: t/);
    expect(errorInitFrom('plain string')).toEqual({ name: 'Error', message: 'plain string' });
    expect(errorInitFrom({ message: 'shaped', name: 'Custom' })).toEqual({ name: 'Custom', message: 'shaped' });
    expect(errorInitFrom(42)).toEqual({ name: 'Error', message: '42' });
  });

  it('parseRemoteError reads our format, the Python format, and bare messages', () => {
    expect(
      parseRemoteError({
        error: 'RangeError: too big',
        error_type: 'RangeError',
        traceback: 'RangeError: too big\n at f',
      }),
    ).toEqual({
      name: 'RangeError',
      message: 'too big',
      stack: 'RangeError: too big\n at f',
    });
    expect(parseRemoteError({ error: 'ValueError: nope\nTraceback (most recent call last):\n  x' })).toEqual({
      name: 'ValueError',
      message: 'nope',
      stack: 'Traceback (most recent call last):\n  x',
    });
    expect(parseRemoteError({ error: "Function 'x' not found" })).toEqual({
      name: 'Error',
      message: "Function 'x' not found",
    });
    expect(parseRemoteError({ error: 'E: m', error_code: 'C' }).code).toBe('C');
  });
});
