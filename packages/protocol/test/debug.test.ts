import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDebug, debugEnabled } from '../src/debug.js';

let saved: string | undefined;
let lines: string[];
let restoreWrite: () => void;

beforeEach(() => {
  saved = process.env.DEBUG;
  lines = [];
  const original = process.stderr.write;
  process.stderr.write = ((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  restoreWrite = () => (process.stderr.write = original);
});

afterEach(() => {
  restoreWrite();
  if (saved === undefined) delete process.env.DEBUG;
  else process.env.DEBUG = saved;
});

describe('createDebug', () => {
  it('fills in %s %d %j %o placeholders in one stderr line', () => {
    process.env.DEBUG = 'multifrost:test';
    const log = createDebug('multifrost:test');
    expect(log.enabled).toBe(true);
    log('bound %s port %d data %j obj %o', 'tcp://127.0.0.1:5555', 5555, { a: [1, 2] }, { b: 'x' });
    restoreWrite();
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.endsWith('\n')).toBe(true);
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+Z multifrost:test /);
    expect(line).toContain(`bound tcp://127.0.0.1:5555 port 5555 data {"a":[1,2]} obj { b: 'x' }`);
    expect(line).not.toContain('%');
  });

  it('appends arguments without a placeholder, as util.format does', () => {
    process.env.DEBUG = 'multifrost:*';
    createDebug('multifrost:test')('stopped', 'signal', 3);
    restoreWrite();
    expect(lines[0]).toMatch(/ multifrost:test stopped signal 3\n$/);
  });

  it('is a no-op that formats nothing when its namespace is off', () => {
    process.env.DEBUG = 'multifrost:parent';
    const log = createDebug('multifrost:child');
    expect(log.enabled).toBe(false);
    let touched = false;
    const arg = {
      toString() {
        touched = true;
        return 'x';
      },
      toJSON() {
        touched = true;
        return 'x';
      },
    };
    log('value %s %j', arg, arg);
    restoreWrite();
    expect(lines).toEqual([]);
    expect(touched).toBe(false);
  });
});

describe('DEBUG patterns', () => {
  it('multifrost:* matches every multifrost namespace', () => {
    expect(debugEnabled('multifrost:child', 'multifrost:*')).toBe(true);
    expect(debugEnabled('multifrost:parent:calls', 'multifrost:*')).toBe(true);
    expect(debugEnabled('other:thing', 'multifrost:*')).toBe(false);
  });

  it('a plain name matches only itself', () => {
    expect(debugEnabled('multifrost:child', 'multifrost:child')).toBe(true);
    expect(debugEnabled('multifrost:childx', 'multifrost:child')).toBe(false);
    expect(debugEnabled('multifrost:child:calls', 'multifrost:child')).toBe(false);
  });

  it('takes comma or space separated lists, * and -exclusions', () => {
    expect(debugEnabled('multifrost:parent', 'foo, multifrost:parent')).toBe(true);
    expect(debugEnabled('multifrost:parent', 'foo bar')).toBe(false);
    expect(debugEnabled('anything', '*')).toBe(true);
    expect(debugEnabled('multifrost:child:calls', 'multifrost:*,-multifrost:child:calls')).toBe(false);
    expect(debugEnabled('multifrost:child', 'multifrost:*,-multifrost:child:calls')).toBe(true);
    expect(debugEnabled('multifrost:child', '')).toBe(false);
  });
});
