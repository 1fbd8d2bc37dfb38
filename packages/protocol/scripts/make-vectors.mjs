// Writes test/vectors/{values,messages}.json from the inputs below, recording the bytes our codec
// produces. Run once when the contract changes (`node scripts/make-vectors.mjs` after a build),
// then review the diff: the committed fixtures are the contract, and the tests never regenerate them.
import { writeFileSync } from 'node:fs';
import { encodeValue, encodeMessage } from '../dist/index.js';

const t = {
  big: (s) => ({ $bigint: s }),
  bytes: (h) => ({ $bytes: h }),
  float: (s) => ({ $float: s }),
  date: (s) => ({ $date: s }),
  undef: { $undefined: true },
  map: (pairs) => ({ $map: pairs }),
};
function fromTagged(v) {
  if (Array.isArray(v)) return v.map(fromTagged);
  if (v === null || typeof v !== 'object') return v;
  if ('$bigint' in v) return BigInt(v.$bigint);
  if ('$bytes' in v) return Buffer.from(v.$bytes, 'hex');
  if ('$float' in v) return Number(v.$float);
  if ('$date' in v) return new Date(v.$date);
  if ('$undefined' in v) return undefined;
  if ('$map' in v) return new Map(v.$map.map(([k, x]) => [k, fromTagged(x)]));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromTagged(x)]));
}

const values = [
  ['nil', null, undefined, 'NoneType'],
  ['undefined is nil', t.undef, null, 'NoneType'],
  ['true', true, undefined, 'bool'],
  ['false', false, undefined, 'bool'],
  ['positive fixint', 7, undefined, 'int'],
  ['negative fixint', -5, undefined, 'int'],
  ['uint8', 200, undefined, 'int'],
  ['uint16', 60000, undefined, 'int'],
  ['uint32', 4000000000, undefined, 'int'],
  ['int8', -100, undefined, 'int'],
  ['int16', -30000, undefined, 'int'],
  ['int32', -2000000000, undefined, 'int'],
  ['2**40 is an int, not a float', 2 ** 40, undefined, 'int'],
  ['-(2**40) is an int', -(2 ** 40), undefined, 'int'],
  ['2**53-1 (MAX_SAFE_INTEGER)', Number.MAX_SAFE_INTEGER, undefined, 'int'],
  ['BigInt 2**63-1 (int64)', t.big('9223372036854775807'), undefined, 'int'],
  ['BigInt -(2**63) (int64)', t.big('-9223372036854775808'), undefined, 'int'],
  ['BigInt 2**64-1 (uint64)', t.big('18446744073709551615'), undefined, 'int'],
  ['small BigInt decodes to Number', t.big('5'), 5, 'int'],
  ['float 1.5', 1.5, undefined, 'float'],
  ['float -0.1', -0.1, undefined, 'float'],
  ['NaN', t.float('NaN'), undefined, 'float'],
  ['Infinity', t.float('Infinity'), undefined, 'float'],
  ['-Infinity', t.float('-Infinity'), undefined, 'float'],
  ['empty string', '', undefined, 'str'],
  ['ascii string', 'hello', undefined, 'str'],
  ['unicode and emoji', 'héllo wörld 🌍 日本', undefined, 'str'],
  ['str8 (40 chars)', 'x'.repeat(40), undefined, 'str'],
  ['str16 (300 chars)', 'y'.repeat(300), undefined, 'str'],
  ['bytes', t.bytes('00017f80ff'), undefined, 'bytes'],
  ['empty bytes', t.bytes(''), undefined, 'bytes'],
  ['empty array', [], undefined, 'list'],
  ['nested array', [1, [2, [3, []]], 'x'], undefined, 'list'],
  ['array with undefined', [1, t.undef, 3], [1, null, 3], 'list'],
  ['empty map', {}, undefined, 'dict'],
  ['nested map', { a: 1, b: { c: [true, null], d: 'e' } }, undefined, 'dict'],
  [
    'Map with string keys',
    t.map([
      ['k', 1],
      ['l', 'v'],
    ]),
    { k: 1, l: 'v' },
    'dict',
  ],
  ['Date (timestamp ext -1, 32-bit)', t.date('2023-11-14T22:13:20.000Z'), undefined, 'Timestamp'],
  ['Date with milliseconds (timestamp64)', t.date('2023-11-14T22:13:20.123Z'), undefined, 'Timestamp'],
];

const valueVectors = values.map(([name, value, decoded, python]) => {
  const v = { name, value, hex: encodeValue(fromTagged(value)).toString('hex'), python };
  if (decoded !== undefined) v.decoded = decoded;
  return v;
});

const core = (type, extra) => ({
  app: 'comlink_ipc_v3',
  id: '6f1c2b9e-4d0a-4c3e-9b7a-2f5e8d1c0a42',
  type,
  timestamp: 1764000000.25,
  ...extra,
});
const messages = [
  ['call', core('call', { function: 'add', args: [1, 2], namespace: 'default' })],
  [
    'call v4 with client_name and metadata',
    {
      ...core('call', {
        function: 'predict',
        args: [[0.1, 0.2]],
        namespace: 'ml',
        client_name: 'app',
        metadata: { deadline: 1764000030.5 },
      }),
      app: 'comlink_ipc_v4',
    },
  ],
  [
    'call with every value kind',
    core('call', {
      function: 'echo',
      args: [
        null,
        true,
        2 ** 40,
        t.big('18446744073709551615'),
        1.5,
        'é',
        t.bytes('ff00'),
        [1],
        { a: 1 },
        t.date('2023-11-14T22:13:20.000Z'),
      ],
      namespace: 'default',
    }),
  ],
  ['response', core('response', { result: 3 })],
  ['response with nil result', core('response', { result: null })],
  [
    'error with type, traceback and code',
    core('error', {
      error: 'ValueError: bad input',
      error_type: 'ValueError',
      traceback: 'ValueError: bad input\n    at f (w.ts:1:1)',
      error_code: 'E_BAD',
    }),
  ],
  ['stdout', core('stdout', { output: 'hello from the worker' })],
  ['stderr', core('stderr', { output: 'warning: low memory' })],
  ['heartbeat request', core('heartbeat', { metadata: { hb_timestamp: 1764000000.25 } })],
  ['heartbeat reply', core('heartbeat', { metadata: { hb_timestamp: 1764000000.25, hb_response: true } })],
  ['shutdown', core('shutdown', {})],
  ['cancel', core('cancel', {})],
];
const messageVectors = messages.map(([name, message]) => ({
  name,
  message,
  hex: encodeMessage(fromTagged(message)).toString('hex'),
}));

const dir = new URL('../test/vectors/', import.meta.url);
writeFileSync(new URL('values.json', dir), `${JSON.stringify(valueVectors, null, 2)}\n`);
writeFileSync(new URL('messages.json', dir), `${JSON.stringify(messageVectors, null, 2)}\n`);
console.log(`wrote ${valueVectors.length} value vectors and ${messageVectors.length} message vectors`);
