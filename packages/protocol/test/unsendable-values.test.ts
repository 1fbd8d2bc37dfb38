/**
 * Generators, iterators and Errors are refused before encoding, as arguments and as results: until
 * the protocol has streams they would otherwise arrive as `{}` with their content lost.
 */
import { describe, expect, it } from 'vitest';
import {
  createCall,
  createResponse,
  decodeMessage,
  encodeMessage,
  encodeValue,
  isMultifrostError,
} from '../src/index.js';

function encodeFailure(fn: () => unknown): { message: string; path: unknown } {
  try {
    fn();
  } catch (err) {
    if (isMultifrostError(err) && err.code === 'ENCODE') return { message: err.message, path: err.details.path };
    throw err;
  }
  throw new Error('expected an ENCODE error, but the value was encoded');
}

function* numbers(): Generator<number> {
  yield 1;
}
async function* asyncNumbers(): AsyncGenerator<number> {
  yield 1;
}

class Countdown implements Iterator<number>, Iterable<number> {
  constructor(private n: number) {}
  next(): IteratorResult<number> {
    return this.n > 0 ? { value: this.n--, done: false } : { value: undefined, done: true };
  }
  [Symbol.iterator](): this {
    return this;
  }
}

const streamsNote = 'cannot be sent (streams are not supported yet; spread it into an array first)';
const errorNote = 'cannot be sent (throw it to fail the call, or send its message as a string)';

describe('values that would lose their content on the wire', () => {
  it.each([
    ['a generator', () => numbers(), `args[0]: a generator ${streamsNote}`],
    ['an async generator', () => asyncNumbers(), `args[0]: an async generator ${streamsNote}`],
    ['an array iterator', () => [1, 2].values(), `args[0]: an iterator ${streamsNote}`],
    ['a Map entries iterator', () => new Map([['a', 1]]).entries(), `args[0]: an iterator ${streamsNote}`],
    ['a class iterator', () => new Countdown(2), `args[0]: an iterator ${streamsNote}`],
    ['an Error', () => new Error('boom'), `args[0]: an Error (Error) ${errorNote}`],
    ['a TypeError', () => new TypeError('bad'), `args[0]: an Error (TypeError) ${errorNote}`],
  ])('%s as an argument', (_what, make, message) => {
    const failure = encodeFailure(() => encodeMessage(createCall({ function: 'f', args: [make()] })));
    expect(failure.message).toBe(message);
    expect(failure.path).toBe('args[0]');
  });

  it('names the path of a nested one', () => {
    const failure = encodeFailure(() => encodeMessage(createCall({ function: 'f', args: [1, { rows: [numbers()] }] })));
    expect(failure.message).toBe(`args[1].rows[0]: a generator ${streamsNote}`);
  });

  it('refuses them as a result', () => {
    expect(encodeFailure(() => encodeMessage(createResponse('id1', numbers()))).message).toBe(
      `result: a generator ${streamsNote}`,
    );
    const nested = encodeFailure(() => encodeMessage(createResponse('id1', { failed: [new RangeError('x')] })));
    expect(nested.message).toBe(`result.failed[0]: an Error (RangeError) ${errorNote}`);
  });

  it('refuses an Error subclass carrying its own fields', () => {
    class CodedError extends Error {
      code = 'E_BAD';
    }
    expect(encodeFailure(() => encodeValue(new CodedError('x'))).message).toBe(`value: an Error (Error) ${errorNote}`);
  });

  it('still sends plain objects that merely have a next key or are iterable without next', () => {
    const withNext = { next: 'page-2', items: [1] };
    const iterableOnly = { size: 1, [Symbol.iterator]: undefined };
    const decoded = decodeMessage(
      encodeMessage(createCall({ function: 'f', args: [withNext, iterableOnly, new Set([1]), new Map([['k', 2]])] })),
    );
    expect(decoded.ok).toBe(true);
    if (!decoded.ok || decoded.message.type !== 'call') throw new Error('expected a call');
    expect(decoded.message.args).toEqual([withNext, { size: 1 }, [1], { k: 2 }]);
  });

  it('the plain values of an ordinary call are handed to msgpack untouched', () => {
    const args = [1, 'a', { x: [true, null] }];
    const decoded = decodeMessage(encodeMessage(createCall({ function: 'f', args })));
    expect(decoded.ok && decoded.message.type === 'call' && decoded.message.args).toEqual(args);
  });
});
