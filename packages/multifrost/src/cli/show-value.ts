/**
 * How `multifrost call` shows a result to a person: JSON layout, but bytes as `<Buffer 01 02 03>`
 * and big integers as `123n`, so neither can be mistaken for a string.
 */
import { inspect } from 'node:util';

const STEP = '  ';

export function showValue(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  if (value instanceof Uint8Array) return inspect(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  if (value instanceof Date)
    return JSON.stringify(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString());
  const inner = indent + STEP;
  if (Array.isArray(value) || value instanceof Set) {
    const items = [...value];
    if (items.length === 0) return '[]';
    return `[\n${items.map((item) => inner + showValue(item, inner)).join(',\n')}\n${indent}]`;
  }
  const entries =
    value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${showValue(v, inner)}`).join(',\n')}\n${indent}}`;
}
