// The one module of user-facing texts: the remote errors that get their own code, and a few
// wordings other code relies on.
import { describe, expect, it } from 'vitest';
import { createError } from '@multifrost/protocol';
import * as messages from '../src/messages.js';

describe('protocolErrorCode', () => {
  it.each([
    ['FunctionNotFoundError', "Function 'x' not found", 'FUNCTION_NOT_FOUND'],
    ['PrivateMethodError', "Cannot call private method '_x'", 'PRIVATE_METHOD'],
    ['NamespaceError', "Namespace 'n' is not served by this worker", 'NAMESPACE_MISMATCH'],
    ['ShuttingDownError', 'Worker is shutting down', 'SHUTTING_DOWN'],
    ['BusyError', 'Worker is busy: 64 calls running and 1024 waiting', 'BUSY'],
    // The public JS peer (plain Error) and Python peer (AttributeError / TypeError).
    ['Error', "Function 'x' not found or not callable", 'FUNCTION_NOT_FOUND'],
    ['AttributeError', "Function 'x' not found", 'FUNCTION_NOT_FOUND'],
    ['TypeError', "'x' is not callable", 'FUNCTION_NOT_FOUND'],
    ['Error', "Cannot call private method '_x'", 'PRIVATE_METHOD'],
    // A user's own errors stay REMOTE_ERROR, even with a similar text under another name.
    ['ValidationError', "Function 'x' not found", 'REMOTE_ERROR'],
    ['TypeError', 'x is not a function', 'REMOTE_ERROR'],
    ['LookupError', "Namespace 'n' is not served by this worker", 'REMOTE_ERROR'],
  ])('%s: %s → %s', (name, message, code) => {
    expect(messages.protocolErrorCode(name, message)).toBe(code);
  });

  it('remoteError keeps the remote type, message and stack with the new code', () => {
    const err = messages.remoteError(
      'w',
      'f',
      createError('1', { name: 'PrivateMethodError', message: "Cannot call private method '_f'", stack: 'at x' }),
    );
    expect(err.code).toBe('PRIVATE_METHOD');
    expect(err.remoteType).toBe('PrivateMethodError');
    expect(err.remoteMessage).toBe("Cannot call private method '_f'");
    expect(err.remoteStack).toBe('at x');
    expect(err.name).toBe('RemoteCallError');
  });
});

describe('texts', () => {
  it('a zero timeout says what to use instead', () => {
    const err = messages.zeroTimeout('timeoutMs');
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe(
      'timeoutMs must be more than 0 ms (use Infinity for no timeout, or leave it out for the default)',
    );
  });

  it('exit texts', () => {
    expect(messages.exitText({ code: 3, signal: null, pid: 1 })).toBe('exited with code 3');
    expect(messages.exitText({ code: null, signal: 'SIGKILL', pid: 1 })).toBe('was killed by SIGKILL');
    expect(messages.exitText(undefined)).toBe('exited');
  });
});
