/*
 * Pre-encoded replies: the fixed replies and the common errors, encoded once at start-up as
 * Buffers and written with ReplyWriter.raw(). Error texts are byte-identical to redis-server
 * 7.0 (server.c createSharedObjects, object.c, t_string.c, db.c, expire.c, networking.c,
 * acl.c, config.c); each was checked against a running redis-server 7.0.15.
 *
 * R_* replies are protocol-neutral (identical in RESP2 and RESP3) except R_NULL_* (RESP2 only)
 * and R_RESP3_* (RESP3 only); handlers normally use ReplyWriter.nullBulk()/nullArray()/bool(),
 * which follow the connection's protocol. E_* are complete error replies "-CODE text\r\n". errorText() gives the message
 * without '-' and CRLF, for logs and errorstats.
 *
 * Never write into these Buffers: they are shared by every connection.
 */

function r(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
function e(text: string): Buffer {
  return Buffer.from(`-${text}\r\n`, 'latin1');
}

// --- fixed replies ---------------------------------------------------------------------
export const R_OK = r('+OK\r\n');
export const R_PONG = r('+PONG\r\n');
export const R_QUEUED = r('+QUEUED\r\n');
export const R_RESET = r('+RESET\r\n');
export const R_NOKEY = r('+NOKEY\r\n'); // MIGRATE with no key
export const R_CRLF = r('\r\n');
export const R_ZERO = r(':0\r\n');
export const R_ONE = r(':1\r\n');
export const R_MINUS_ONE = r(':-1\r\n'); // TTL of a key without expiry
export const R_MINUS_TWO = r(':-2\r\n'); // TTL of a missing key
export const R_EMPTY_BULK = r('$0\r\n\r\n');
export const R_EMPTY_ARRAY = r('*0\r\n');
/** SCAN's reply when there is nothing to scan: cursor 0 and no keys. */
export const R_EMPTY_SCAN = r('*2\r\n$1\r\n0\r\n*0\r\n');
/** RESP2 null bulk and null array (RESP3 uses "_\r\n" for both: R_RESP3_NULL). */
export const R_NULL_BULK = r('$-1\r\n');
export const R_NULL_ARRAY = r('*-1\r\n');
export const R_RESP3_NULL = r('_\r\n');
export const R_RESP3_TRUE = r('#t\r\n');
export const R_RESP3_FALSE = r('#f\r\n');
export const R_RESP3_EMPTY_MAP = r('%0\r\n');
export const R_RESP3_EMPTY_SET = r('~0\r\n');

// --- shared errors (server.c createSharedObjects) ------------------------------------------
export const E_ERR = e('ERR');
export const E_WRONGTYPE = e('WRONGTYPE Operation against a key holding the wrong kind of value');
export const E_NO_SUCH_KEY = e('ERR no such key');
export const E_SYNTAX = e('ERR syntax error');
export const E_SAME_OBJECT = e('ERR source and destination objects are the same');
export const E_OUT_OF_RANGE = e('ERR index out of range');
export const E_NOSCRIPT = e('NOSCRIPT No matching script. Please use EVAL.');
export const E_LOADING = e('LOADING Redis is loading the dataset in memory');
export const E_BUSY_SCRIPT = e('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.');
export const E_BUSY_FUNCTION = e('BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.');
export const E_BUSY_MODULE = e('BUSY Redis is busy running a module command.');
export const E_MASTERDOWN = e("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
export const E_READONLY = e("READONLY You can't write against a read only replica.");
export const E_NOAUTH = e('NOAUTH Authentication required.');
export const E_OOM = e("OOM command not allowed when used memory > 'maxmemory'.");
export const E_EXECABORT = e('EXECABORT Transaction discarded because of previous errors.');
export const E_NOREPLICAS = e('NOREPLICAS Not enough good replicas to write.');
export const E_MISCONF = e(
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
);
export const E_BUSYKEY = e('BUSYKEY Target key name already exists.');

// --- argument parsing (object.c, util.c, timeout.c) ----------------------------------------
export const E_NOT_INTEGER = e('ERR value is not an integer or out of range');
export const E_NOT_FLOAT = e('ERR value is not a valid float');
export const E_NOT_POSITIVE = e('ERR value is out of range, must be positive');
export const E_TIMEOUT_NOT_FLOAT = e('ERR timeout is not a float or out of range');
export const E_TIMEOUT_NOT_INTEGER = e('ERR timeout is not an integer or out of range');
export const E_TIMEOUT_NEGATIVE = e('ERR timeout is negative');
export const E_VALUE_OUT_OF_RANGE = e('ERR value is out of range');
export const E_NAN_OR_INFINITY = e('ERR value is NaN or Infinity');
export const E_INVALID_CURSOR = e('ERR invalid cursor');
export const E_BIT_OFFSET = e('ERR bit offset is not an integer or out of range');
export const E_BIT_VALUE = e('ERR bit is not an integer or out of range');

// --- strings (t_string.c) --------------------------------------------------------------------
export const E_OVERFLOW = e('ERR increment or decrement would overflow');
/** DECRBY with -9223372036854775808 (the negation itself overflows). */
export const E_DECR_OVERFLOW = e('ERR decrement would overflow');
export const E_INCR_NAN = e('ERR increment would produce NaN or Infinity');
export const E_STRING_TOO_LONG = e('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
export const E_OFFSET = e('ERR offset is out of range');

// --- keyspace (db.c, expire.c) -----------------------------------------------------------------
export const E_DB_INDEX = e('ERR DB index is out of range');
export const E_INVALID_FIRST_DB_INDEX = e('ERR invalid first DB index'); // SWAPDB
export const E_INVALID_SECOND_DB_INDEX = e('ERR invalid second DB index');
export const E_LFU_NOT_SELECTED = e(
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
); // OBJECT FREQ
export const E_LFU_SELECTED = e(
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
); // OBJECT IDLETIME

/** "invalid expire time in '<cmd>' command" for the commands that take a TTL (expire.c, t_string.c). */
export const E_INVALID_EXPIRE: Readonly<Record<string, Buffer>> = Object.freeze(
  Object.fromEntries(
    ['set', 'setex', 'psetex', 'getex', 'expire', 'pexpire', 'expireat', 'pexpireat', 'restore'].map((c) => [
      c,
      e(`ERR invalid expire time in '${c}' command`),
    ]),
  ),
);
export const E_NX_XX_GT_LT = e('ERR NX and XX, GT or LT options at the same time are not compatible');
export const E_GT_LT = e('ERR GT and LT options at the same time are not compatible');

// --- connection (networking.c, acl.c) -----------------------------------------------------------
export const E_WRONGPASS = e('WRONGPASS invalid username-password pair or user is disabled.');
export const E_AUTH_NOT_CONFIGURED = e(
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
);
export const E_CLIENT_NAME = e('ERR Client names cannot contain spaces, newlines or special characters.');
export const E_NOPROTO = e('NOPROTO unsupported protocol version');
export const E_PROTO_VERSION_NOT_INTEGER = e('ERR Protocol version is not an integer or out of range'); // HELLO abc
export const E_NOAUTH_HELLO = e(
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
);
export const E_DENIED = e(
  "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.",
);
export const E_NOT_ALLOWED_IN_MULTI = e('ERR Command not allowed inside a transaction');
export const E_MAX_CLIENTS = e('ERR max number of clients reached');
export const E_MULTI_NESTED = e('ERR MULTI calls can not be nested');
export const E_EXEC_WITHOUT_MULTI = e('ERR EXEC without MULTI');
export const E_DISCARD_WITHOUT_MULTI = e('ERR DISCARD without MULTI');
export const E_WATCH_IN_MULTI = e('ERR WATCH inside MULTI is not allowed');

// --- protocol errors (networking.c processInlineBuffer / processMultibulkBuffer) ---------------
export const E_PROTO_TOO_BIG_INLINE = e('ERR Protocol error: too big inline request');
export const E_PROTO_UNBALANCED_QUOTES = e('ERR Protocol error: unbalanced quotes in request');
export const E_PROTO_TOO_BIG_MBULK = e('ERR Protocol error: too big mbulk count string');
export const E_PROTO_INVALID_MBULK = e('ERR Protocol error: invalid multibulk length');
export const E_PROTO_UNAUTH_MBULK = e('ERR Protocol error: unauthenticated multibulk length');
export const E_PROTO_TOO_BIG_BULK = e('ERR Protocol error: too big bulk count string');
export const E_PROTO_INVALID_BULK = e('ERR Protocol error: invalid bulk length');
export const E_PROTO_UNAUTH_BULK = e('ERR Protocol error: unauthenticated bulk length');

/** The message of a pre-encoded error without '-' and CRLF ("ERR syntax error"). */
export function errorText(reply: Uint8Array): string {
  return Buffer.from(reply.buffer, reply.byteOffset + 1, reply.length - 3).toString('latin1');
}

/** The code of an error message: its first word ("ERR", "WRONGTYPE"), as INFO errorstats counts it. */
export function errorCode(message: string): string {
  const sp = message.indexOf(' ');
  return sp < 0 ? message : message.slice(0, sp);
}
