/*
 * Shared protocol test cases: malformed requests with the error redis-server 7.0 answers, and
 * inline lines with the arguments sdssplitargs (redis-server and redis-cli) makes of them.
 * parser.test.ts checks the parser against these tables; redis-conformance.test.ts checks the
 * tables themselves against a real redis-server / redis-cli when they are installed.
 */

export interface ErrorCase {
  input: string; // latin1
  error: string;
  authenticated?: boolean;
  maxBulkLen?: number;
}

export const ERROR_CASES: ErrorCase[] = [
  { input: '*x\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*01\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*+1\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*1 \r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*-0\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*2147483648\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*3000000000\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*9223372036854775808\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*-9223372036854775809\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*123456789012345678901\r\n', error: 'ERR Protocol error: invalid multibulk length' },
  { input: '*1\r\nx\r\n', error: "ERR Protocol error: expected '$', got 'x'" },
  { input: '*1\r\n\r\n', error: "ERR Protocol error: expected '$', got ' '" },
  { input: '*1\r\n\n\r\n', error: "ERR Protocol error: expected '$', got ' '" },
  { input: '*1\r\n\xff\r\n', error: "ERR Protocol error: expected '$', got '\xff'" },
  { input: '*2\r\n$1\r\na\r\n:1\r\n', error: "ERR Protocol error: expected '$', got ':'" },
  { input: '*1\r\n$-1\r\n', error: 'ERR Protocol error: invalid bulk length' },
  { input: '*1\r\n$\r\n', error: 'ERR Protocol error: invalid bulk length' },
  { input: '*1\r\n$01\r\n', error: 'ERR Protocol error: invalid bulk length' },
  { input: '*1\r\n$1x\r\n', error: 'ERR Protocol error: invalid bulk length' },
  { input: '*1\r\n$536870913\r\n', error: 'ERR Protocol error: invalid bulk length' },
  { input: '*1\r\n$9223372036854775807\r\n', error: 'ERR Protocol error: invalid bulk length' },
  { input: '*1\r\n$6\r\n', error: 'ERR Protocol error: invalid bulk length', maxBulkLen: 5 },
  { input: '*11\r\n', error: 'ERR Protocol error: unauthenticated multibulk length', authenticated: false },
  { input: '*2147483648\r\n', error: 'ERR Protocol error: invalid multibulk length', authenticated: false },
  { input: '*1\r\n$16385\r\n', error: 'ERR Protocol error: unauthenticated bulk length', authenticated: false },
  { input: '*1\r\n$9999999999\r\n', error: 'ERR Protocol error: invalid bulk length', authenticated: false },
  { input: 'SET "a\r\n', error: 'ERR Protocol error: unbalanced quotes in request' },
  { input: 'SET "a"b\r\n', error: 'ERR Protocol error: unbalanced quotes in request' },
  { input: "SET 'a\r\n", error: 'ERR Protocol error: unbalanced quotes in request' },
  { input: "SET 'a'b\r\n", error: 'ERR Protocol error: unbalanced quotes in request' },
  { input: 'SET "a\\"\r\n', error: 'ERR Protocol error: unbalanced quotes in request' },
  { input: 'A'.repeat(65537), error: 'ERR Protocol error: too big inline request' },
  { input: '*' + '1'.repeat(65537), error: 'ERR Protocol error: too big mbulk count string' },
  { input: '*1\r\n$' + '1'.repeat(65537), error: 'ERR Protocol error: too big bulk count string' },
];

/** Commands sent before each error case: their replies come first, then the error. */
export const BEFORE_ERROR = '*1\r\n$4\r\nPING\r\nECHO x\r\n';

/**
 * Inline argument text (what follows the command name on the line) and the arguments
 * sdssplitargs makes of it; null: "unbalanced quotes" (redis-cli: "Invalid argument(s)").
 * `cli: false` marks lines redis-cli cannot be given through a pipe (CR, VT inside the line).
 */
export interface InlineCase {
  line: string; // latin1 bytes
  args: string[] | null; // latin1
  cli?: boolean;
}

export const INLINE_CASES: InlineCase[] = [
  { line: '"a b" c', args: ['a b', 'c'] },
  { line: `'it\\'s' "\\x41\\x4g\\t"`, args: ["it's", 'Ax4g\t'] },
  { line: 'a"b c"d e', args: null },
  { line: '"unbalanced', args: null },
  { line: "'unbalanced", args: null },
  { line: 'foo"bar baz" qux', args: ['foobar baz', 'qux'] },
  { line: '"\\n\\r\\t\\b\\a\\z\\\\\\""', args: ['\n\r\t\b\x07z\\"'] },
  { line: "'single \\n stays' x", args: ['single \\n stays', 'x'] },
  { line: `"" ''`, args: ['', ''] },
  { line: 'a\tb', args: ['a', 'b'] },
  { line: "'a''b'", args: null },
  { line: '"a""b"', args: null },
  { line: '"\\xff\\x00\\x7F\\xAb"', args: ['\xff\x00\x7f\xab'] },
  { line: '"\\xZZ" "\\x4"', args: ['xZZ', 'x4'] },
  { line: '"trailing\\"', args: null },
  { line: '  lead   trail   ', args: ['lead', 'trail'] },
  { line: "a'b'", args: ['ab'] },
  { line: '"a" "b"', args: ['a', 'b'] },
  { line: "'it\\\\'s'", args: ["it\\'s"] },
  { line: "'\\\"q\\\"'", args: ['\\"q\\"'] },
  { line: '\xc3\xa9 "\xc3\xa9"', args: ['\xc3\xa9', '\xc3\xa9'] },
  { line: 'x\x0by', args: ['x\x0by'], cli: false },
  { line: '\x0bx\x0c', args: ['x\x0c'], cli: false },
  { line: '"a"\x0b b', args: ['a', 'b'], cli: false },
  { line: 'a\rb', args: ['a', 'b'], cli: false },
  { line: '"a\rb"', args: ['a\rb'], cli: false },
  { line: '"\\', args: null },
  { line: 'ends\\', args: ['ends\\'] },
];
