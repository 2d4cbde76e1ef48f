/*
 * Server commands (Redis 7.0 server.c / db.c / config.c semantics): INFO, DBSIZE, FLUSHDB,
 * FLUSHALL, SWAPDB, TIME, CONFIG, COMMAND, SHUTDOWN, LASTSAVE, ROLE. (SCRIPT and FUNCTION are
 * in scripting.ts.)
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import type { Client } from '../client.ts';
import type { Registry, CommandEntry } from '../registry.ts';
import { CommandFlag } from '../registry.ts';
import type { ServerState } from '../server-state.ts';
import { resetStats } from '../server-state.ts';
import { R_OK, E_SYNTAX } from '../../protocol/replies.ts';
import { EVICTION_POLICY_NAMES } from '../../store/types.ts';
import { parsed } from '../numbers.ts';
import { globMatchString } from '../glob.ts';
import { replyHelp } from './keys.ts';
import { REDIS_COMPAT_VERSION } from './connection.ts';
import { writeCommandInfo, writeCommandDocs } from './command-meta.ts';
import { memoryOverview } from './introspection.ts';
import { commandKeys, keyPositions } from '../command-keys.ts';
import { valueAtPercentile, METRIC_NET_INPUT, METRIC_NET_OUTPUT } from '../metrics.ts';
import packageJson from '../../package.json' with { type: 'json' };

function cmdDbsize(c: Client): void {
  c.reply.int(c.store.dbSize(c.db));
}

/** FLUSHDB / FLUSHALL accept ASYNC or SYNC; both run synchronously here. */
function flushOption(c: Client): boolean {
  if (c.argc > 2 || (c.argc === 2 && !c.argIs(1, 'async') && !c.argIs(1, 'sync'))) {
    c.reply.raw(E_SYNTAX);
    return false;
  }
  return true;
}

/*
 * WATCH and whole databases: as emptyData's signalFlushedDb and dbSwapDatabases do, watched keys
 * are touched (touchAllWatchedKeysInDb) while the keys are still there, before the databases
 * are emptied (events.flushed, which also invalidates tracking) or swapped. Redis publishes no
 * keyspace event for these commands.
 */
function cmdFlushdb(c: Client): void {
  if (!flushOption(c)) return;
  c.server.events.flushed(c.db);
  c.store.flushDb(c.db);
  c.reply.raw(R_OK);
}

function cmdFlushall(c: Client): void {
  if (!flushOption(c)) return;
  c.server.events.flushed(-1);
  c.store.flushAll();
  c.reply.raw(R_OK);
}

function cmdSwapdb(c: Client): void {
  const dbs = c.store.databases;
  if (!c.argIntOrReply(1, 'ERR invalid first DB index')) return;
  const a = parsed.num;
  if (!c.argIntOrReply(2, 'ERR invalid second DB index')) return;
  const b = parsed.num;
  if (a < 0 || a >= dbs || b < 0 || b >= dbs) {
    c.reply.error('ERR DB index is out of range');
    return;
  }
  if (a !== b) {
    const watches = c.server.watches;
    watches.touchDb(a, b);
    watches.touchDb(b, a);
    c.store.swapDb(a, b);
  }
  c.reply.raw(R_OK);
}

function cmdTime(c: Client): void {
  const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  c.reply.arrayLen(2);
  c.reply.bulkString(String(micros / 1000000n));
  c.reply.bulkString(String(micros % 1000000n));
}

function cmdLastsave(c: Client): void {
  c.reply.int(Math.floor(c.server.lastSave / 1000));
}

function cmdRole(c: Client): void {
  c.reply.arrayLen(3);
  c.reply.bulkString('master');
  c.reply.int(0);
  c.reply.arrayLen(0);
}

function cmdShutdown(c: Client): void {
  for (let j = 1; j < c.argc; j++) {
    if (!c.argIs(j, 'nosave') && !c.argIs(j, 'save') && !c.argIs(j, 'now') && !c.argIs(j, 'force') && !c.argIs(j, 'abort')) {
      c.reply.raw(E_SYNTAX);
      return;
    }
    if (c.argIs(j, 'abort')) {
      c.reply.error('ERR No shutdown in progress.');
      return;
    }
  }
  c.server.shutdown('SHUTDOWN command');
}

// ---- CONFIG ----

function cmdConfigGet(c: Client): void {
  const patterns: string[] = [];
  for (let j = 2; j < c.argc; j++) patterns.push(c.argString(j));
  const pairs = c.server.config.get(patterns);
  c.reply.mapLen(pairs.length);
  for (const [name, value] of pairs) {
    c.reply.bulkString(name);
    c.reply.bulkString(value);
  }
}

function cmdConfigSet(c: Client): void {
  if (c.argc % 2 === 1) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  const pairs: [string, string][] = [];
  for (let j = 2; j < c.argc; j += 2) pairs.push([c.argString(j), c.argString(j + 1)]);
  const error = c.server.config.set(pairs);
  if (error !== null) c.reply.error(error);
  else c.reply.raw(R_OK);
}

function cmdConfigResetstat(c: Client): void {
  const server = c.server;
  resetStats(server.stats, server.clock.now);
  server.metrics.resetStats();
  const s = server.store.stats;
  s.expiredKeys = 0;
  s.evictedKeys = 0;
  s.keyspaceHits = 0;
  s.keyspaceMisses = 0;
  s.lazyfreedObjects = 0;
  c.reply.raw(R_OK);
}

function cmdConfigRewrite(c: Client): void {
  c.reply.error('ERR The server is running without a config file');
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

// ---- COMMAND ----

function cmdCommand(c: Client): void {
  const commands = c.server.registry.commands;
  c.reply.arrayLen(commands.length);
  for (const cmd of commands) writeCommandInfo(c.reply, cmd.meta);
}

function cmdCommandCount(c: Client): void {
  c.reply.int(c.server.registry.commands.length);
}

function lookupByArgName(c: Client, name: string): CommandEntry | undefined {
  return c.server.registry.byFullName(name.toLowerCase());
}

function cmdCommandInfo(c: Client): void {
  if (c.argc === 2) {
    cmdCommand(c);
    return;
  }
  c.reply.arrayLen(c.argc - 2);
  for (let j = 2; j < c.argc; j++) {
    const cmd = lookupByArgName(c, c.argString(j));
    if (cmd === undefined) c.reply.nullBulk();
    else writeCommandInfo(c.reply, cmd.meta);
  }
}

function cmdCommandDocs(c: Client): void {
  const registry = c.server.registry;
  const selected: CommandEntry[] = [];
  if (c.argc === 2) selected.push(...registry.commands);
  else {
    for (let j = 2; j < c.argc; j++) {
      const cmd = lookupByArgName(c, c.argString(j));
      if (cmd !== undefined) selected.push(cmd);
    }
  }
  c.reply.mapLen(selected.length);
  for (const cmd of selected) {
    c.reply.bulkString(cmd.fullName);
    writeCommandDocs(c.reply, cmd.meta);
  }
}

function cmdCommandList(c: Client): void {
  const registry = c.server.registry;
  let filter: ((cmd: CommandEntry) => boolean) | null = null;
  if (c.argc === 5 && c.argIs(2, 'filterby')) {
    const value = c.argString(4);
    if (c.argIs(3, 'module')) filter = () => false;
    else if (c.argIs(3, 'aclcat')) filter = (cmd) => cmd.meta.acl_categories.includes(value.toLowerCase().replace(/^@/, ''));
    else if (c.argIs(3, 'pattern')) filter = (cmd) => globMatchString(value, cmd.fullName, true);
    else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  } else if (c.argc !== 2) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  const names: string[] = [];
  for (const cmd of registry.commands) {
    if (filter === null || filter(cmd)) names.push(cmd.fullName);
    if (cmd.subcommands !== null) {
      for (const sub of cmd.subcommands.values()) if (filter === null || filter(sub)) names.push(sub.fullName);
    }
  }
  c.reply.arrayLen(names.length);
  for (const name of names) c.reply.bulkString(name);
}

/** COMMAND GETKEYS (getKeysSubcommandImpl): the keys found by the command's key specs. */
function cmdCommandGetkeys(c: Client): void {
  const cmd = c.server.registry.byFullName(c.argLower(2));
  if (cmd === undefined) {
    c.reply.error('ERR Invalid command specified');
    return;
  }
  const argc = c.argc - 2;
  const effective = cmd.subcommands !== null && argc >= 2 ? cmd.subcommands.get(c.argLower(3)) ?? cmd : cmd;
  if (!effective.meta.key_specs.some((spec) => !spec.flags.includes('not_key'))) {
    c.reply.error('ERR The command has no key arguments');
    return;
  }
  if ((effective.arity > 0 && effective.arity !== argc) || argc < -effective.arity) {
    c.reply.error('ERR Invalid number of arguments specified for command');
    return;
  }
  // Find the keys with the argument view shifted past "COMMAND GETKEYS".
  const { argOff, argLen } = c;
  c.argc = argc;
  c.argOff = argOff.subarray(2);
  c.argLen = argLen.subarray(2);
  const n = commandKeys(effective, c);
  c.argc = argc + 2;
  c.argOff = argOff;
  c.argLen = argLen;
  if (n === 0) {
    if (effective.meta.flags.includes('no_mandatory_keys')) c.reply.arrayLen(0);
    else c.reply.error('ERR Invalid arguments specified for command');
    return;
  }
  c.reply.arrayLen(n);
  for (let k = 0; k < n; k++) {
    const pos = keyPositions[k] + 2;
    c.reply.bulk(c.argBuf, c.argOff[pos], c.argLen[pos]);
  }
}

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

// ---- INFO ----

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];
const ALL_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'commandstats', 'errorstats', 'latencystats', 'cluster', 'keyspace'];

function humanBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)}${units[unit]}`;
}

export function infoSection(server: ServerState, section: string): string | null {
  const now = server.clock.now;
  const settings = server.settings;
  const store = server.store;
  const stats = server.stats;
  const lines: string[] = [];
  const add = (name: string, value: string | number) => lines.push(`${name}:${value}`);
  switch (section) {
    case 'server': {
      const uptime = Math.floor((now - server.startedAt) / 1000);
      lines.push('# Server');
      add('redis_version', REDIS_COMPAT_VERSION);
      add('redis_git_sha1', '00000000');
      add('redis_git_dirty', 0);
      add('redis_build_id', '0');
      add('redis_mode', 'standalone');
      add('slabcache_version', packageJson.version);
      add('os', `${os.type()} ${os.release()} ${os.arch()}`);
      add('arch_bits', 64);
      add('monotonic_clock', 'POSIX clock_gettime');
      add('multiplexing_api', 'epoll');
      add('atomicvar_api', 'c11-builtin');
      add('gcc_version', '0.0.0');
      add('process_id', process.pid);
      add('process_supervised', 'no');
      add('run_id', server.runId);
      add('tcp_port', server.port);
      add('server_time_usec', now * 1000);
      add('uptime_in_seconds', uptime);
      add('uptime_in_days', Math.floor(uptime / 86400));
      add('hz', settings.hz);
      add('configured_hz', settings.hz);
      add('lru_clock', Math.floor(now / 1000) & 0xffffff);
      add('executable', process.argv[1] ?? '');
      add('config_file', settings.configFile);
      add('io_threads_active', 0);
      break;
    }
    case 'clients':
      lines.push('# Clients');
      add('connected_clients', server.clients.size);
      add('cluster_connections', 0);
      add('maxclients', settings.maxclients);
      {
        let maxInput = 0;
        let maxOutput = 0;
        for (const client of server.clients.values()) {
          maxInput = Math.max(maxInput, client.parser.bufferCapacity());
          maxOutput = Math.max(maxOutput, client.outputBytes());
        }
        add('client_recent_max_input_buffer', maxInput);
        add('client_recent_max_output_buffer', maxOutput);
      }
      add('blocked_clients', server.blocking.blockedCount);
      add('tracking_clients', server.tracking.clients);
      add('clients_in_timeout_table', server.blocking.timeoutCount);
      break;
    case 'memory': {
      const mh = memoryOverview(server);
      const total = os.totalmem();
      const lua = 31744;
      const perc = (x: number) => `${x.toFixed(2)}%`;
      lines.push('# Memory');
      add('used_memory', mh.used);
      add('used_memory_human', humanBytes(mh.used));
      add('used_memory_rss', mh.rss);
      add('used_memory_rss_human', humanBytes(mh.rss));
      add('used_memory_peak', mh.peak);
      add('used_memory_peak_human', humanBytes(mh.peak));
      add('used_memory_peak_perc', perc(mh.peakPerc));
      add('used_memory_overhead', mh.overhead);
      add('used_memory_startup', mh.startup);
      add('used_memory_dataset', mh.dataset);
      add('used_memory_dataset_perc', perc(mh.datasetPerc));
      add('allocator_allocated', mh.allocated);
      add('allocator_active', mh.active);
      add('allocator_resident', mh.resident);
      add('total_system_memory', total);
      add('total_system_memory_human', humanBytes(total));
      add('used_memory_lua', lua);
      add('used_memory_vm_eval', lua);
      add('used_memory_lua_human', humanBytes(lua));
      add('used_memory_scripts_eval', 0);
      add('number_of_cached_scripts', 0);
      add('number_of_functions', 0);
      add('number_of_libraries', 0);
      add('used_memory_vm_functions', 0);
      add('used_memory_vm_total', lua);
      add('used_memory_vm_total_human', humanBytes(lua));
      add('used_memory_functions', 0);
      add('used_memory_scripts', 0);
      add('used_memory_scripts_human', humanBytes(0));
      add('maxmemory', settings.maxmemory);
      add('maxmemory_human', humanBytes(settings.maxmemory));
      add('maxmemory_policy', EVICTION_POLICY_NAMES[settings.maxmemoryPolicy]);
      add('allocator_frag_ratio', mh.allocatorFrag.toFixed(2));
      add('allocator_frag_bytes', mh.allocatorFragBytes);
      add('allocator_rss_ratio', mh.allocatorRss.toFixed(2));
      add('allocator_rss_bytes', mh.allocatorRssBytes);
      add('rss_overhead_ratio', mh.rssOverhead.toFixed(2));
      add('rss_overhead_bytes', mh.rssOverheadBytes);
      add('mem_fragmentation_ratio', mh.fragmentation.toFixed(2));
      add('mem_fragmentation_bytes', mh.fragmentationBytes);
      add('mem_not_counted_for_evict', 0);
      add('mem_replication_backlog', 0);
      add('mem_total_replication_buffers', 0);
      add('mem_clients_slaves', 0);
      add('mem_clients_normal', mh.clientsNormal);
      add('mem_cluster_links', 0);
      add('mem_aof_buffer', 0);
      add('mem_allocator', 'slabcache');
      add('active_defrag_running', 0);
      add('lazyfree_pending_objects', server.store.pendingReclaim());
      add('lazyfreed_objects', server.store.stats.lazyfreedObjects);
      break;
    }
    case 'persistence':
      lines.push('# Persistence');
      add('loading', 0);
      add('async_loading', 0);
      add('rdb_changes_since_last_save', 0);
      add('rdb_bgsave_in_progress', 0);
      add('rdb_last_save_time', Math.floor(server.lastSave / 1000));
      add('rdb_last_bgsave_status', 'ok');
      add('rdb_saves', 0);
      add('aof_enabled', 0);
      add('aof_rewrite_in_progress', 0);
      add('aof_rewrite_scheduled', 0);
      add('aof_last_write_status', 'ok');
      break;
    case 'stats': {
      const s = store.stats;
      const m = server.metrics;
      let errors = 0;
      for (const count of stats.errors.values()) errors += count;
      lines.push('# Stats');
      add('total_connections_received', stats.connectionsReceived);
      add('total_commands_processed', stats.commandsProcessed);
      add('instantaneous_ops_per_sec', server.instantaneousOps);
      add('total_net_input_bytes', stats.netInputBytes);
      add('total_net_output_bytes', stats.netOutputBytes);
      add('total_net_repl_input_bytes', 0);
      add('total_net_repl_output_bytes', 0);
      add('instantaneous_input_kbps', (m.instantaneous(METRIC_NET_INPUT) / 1024).toFixed(2));
      add('instantaneous_output_kbps', (m.instantaneous(METRIC_NET_OUTPUT) / 1024).toFixed(2));
      add('instantaneous_input_repl_kbps', '0.00');
      add('instantaneous_output_repl_kbps', '0.00');
      add('rejected_connections', stats.rejectedConnections);
      add('sync_full', 0);
      add('sync_partial_ok', 0);
      add('sync_partial_err', 0);
      add('expired_keys', s.expiredKeys);
      add('expired_stale_perc', '0.00');
      add('expired_time_cap_reached_count', 0);
      add('expire_cycle_cpu_milliseconds', Math.floor(stats.expireCycleUsec / 1000));
      add('evicted_keys', s.evictedKeys);
      add('evicted_clients', stats.evictedClients);
      add('total_eviction_exceeded_time', 0);
      add('current_eviction_exceeded_time', 0);
      add('keyspace_hits', s.keyspaceHits);
      add('keyspace_misses', s.keyspaceMisses);
      add('pubsub_channels', server.pubsub.channels.size);
      add('pubsub_patterns', server.pubsub.patterns.size);
      add('pubsubshard_channels', server.pubsub.shardChannels.size);
      add('latest_fork_usec', 0);
      add('total_forks', 0);
      add('migrate_cached_sockets', 0);
      add('slave_expires_tracked_keys', 0);
      add('active_defrag_hits', 0);
      add('active_defrag_misses', 0);
      add('active_defrag_key_hits', 0);
      add('active_defrag_key_misses', 0);
      add('total_active_defrag_time', 0);
      add('current_active_defrag_time', 0);
      add('tracking_total_keys', server.tracking.table.size);
      add('tracking_total_items', server.tracking.totalItems);
      add('tracking_total_prefixes', server.tracking.prefixes.size);
      add('unexpected_error_replies', 0);
      add('total_error_replies', errors);
      add('dump_payload_sanitizations', 0);
      add('total_reads_processed', stats.readsProcessed);
      add('total_writes_processed', stats.writesProcessed);
      add('io_threaded_reads_processed', 0);
      add('io_threaded_writes_processed', 0);
      add('reply_buffer_shrinks', 0);
      add('reply_buffer_expands', 0);
      break;
    }
    case 'replication':
      lines.push('# Replication');
      add('role', 'master');
      add('connected_slaves', 0);
      add('master_failover_state', 'no-failover');
      add('master_replid', server.runId);
      add('master_replid2', '0000000000000000000000000000000000000000');
      add('master_repl_offset', 0);
      add('second_repl_offset', -1);
      add('repl_backlog_active', 0);
      add('repl_backlog_size', 1048576);
      add('repl_backlog_first_byte_offset', 0);
      add('repl_backlog_histlen', 0);
      break;
    case 'cpu': {
      const usage = process.cpuUsage();
      lines.push('# CPU');
      add('used_cpu_sys', (usage.system / 1e6).toFixed(6));
      add('used_cpu_user', (usage.user / 1e6).toFixed(6));
      add('used_cpu_sys_children', '0.000000');
      add('used_cpu_user_children', '0.000000');
      add('used_cpu_sys_main_thread', (usage.system / 1e6).toFixed(6));
      add('used_cpu_user_main_thread', (usage.user / 1e6).toFixed(6));
      break;
    }
    case 'modules':
      lines.push('# Modules');
      break;
    case 'commandstats':
      lines.push('# Commandstats');
      for (const cmd of server.registry.all) {
        const calls = stats.calls[cmd.id];
        const rejected = stats.rejectedCalls[cmd.id];
        if (calls === 0 && rejected === 0 && stats.failedCalls[cmd.id] === 0) continue;
        const usec = Math.round(stats.usec[cmd.id]);
        const perCall = calls === 0 ? 0 : usec / calls;
        lines.push(`cmdstat_${cmd.fullName}:calls=${calls},usec=${usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${rejected},failed_calls=${stats.failedCalls[cmd.id]}`);
      }
      break;
    case 'errorstats':
      // Redis keeps error codes in a radix tree: listed in byte order.
      lines.push('# Errorstats');
      for (const prefix of [...stats.errors.keys()].sort()) lines.push(`errorstat_${prefix}:count=${stats.errors.get(prefix)}`);
      break;
    case 'latencystats': {
      // latency_percentiles_usec_<cmd>:p50=..,p99=.. for every command with a histogram, while
      // latency-tracking is on (Redis prints none when it is off).
      lines.push('# Latencystats');
      const m = server.metrics;
      if (!m.latencyTracking) break;
      for (const cmd of server.registry.all) {
        const counts = m.histograms[cmd.id];
        if (counts === null) continue;
        const total = m.histogramTotals[cmd.id];
        const parts = m.percentiles.map((p, i) => `p${m.percentileLabels[i]}=${(valueAtPercentile(counts, total, p) / 1000).toFixed(3)}`);
        lines.push(`latency_percentiles_usec_${cmd.fullName}:${parts.join(',')}`);
      }
      break;
    }
    case 'cluster':
      lines.push('# Cluster');
      add('cluster_enabled', 0);
      break;
    case 'keyspace':
      lines.push('# Keyspace');
      for (let db = 0; db < store.databases; db++) {
        const keys = store.dbSize(db);
        if (keys === 0) continue;
        lines.push(`db${db}:keys=${keys},expires=${store.dbExpires(db)},avg_ttl=${store.dbAvgTtl(db)}`);
      }
      break;
    default:
      return null;
  }
  return lines.join('\r\n') + '\r\n';
}

export function infoText(server: ServerState, requested: string[]): string {
  let sections: string[];
  if (requested.length === 0 || requested.includes('default')) sections = [...DEFAULT_SECTIONS];
  else sections = [];
  for (const name of requested) {
    if (name === 'all' || name === 'everything') sections.push(...ALL_SECTIONS);
    else if (name !== 'default') sections.push(name);
  }
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const name of sections) {
    if (seen.has(name)) continue;
    seen.add(name);
    const text = infoSection(server, name);
    if (text !== null) parts.push(text);
  }
  return parts.join('\r\n');
}

function cmdInfo(c: Client): void {
  const requested: string[] = [];
  for (let j = 1; j < c.argc; j++) requested.push(c.argLower(j));
  c.reply.verbatim(infoText(c.server, requested), 'txt');
}

export function registerServerCommands(registry: Registry): void {
  registry.add('info', cmdInfo);
  registry.add('dbsize', cmdDbsize);
  registry.add('flushdb', cmdFlushdb);
  registry.add('flushall', cmdFlushall);
  registry.add('swapdb', cmdSwapdb);
  registry.add('time', cmdTime);
  registry.add('lastsave', cmdLastsave);
  registry.add('role', cmdRole);
  registry.add('shutdown', cmdShutdown);
  registry.add('config', null);
  registry.add('config|get', cmdConfigGet);
  registry.add('config|set', cmdConfigSet);
  registry.add('config|resetstat', cmdConfigResetstat);
  registry.add('config|rewrite', cmdConfigRewrite);
  registry.add('config|help', (c) => replyHelp(c, CONFIG_HELP));
  registry.add('command', cmdCommand);
  registry.add('command|count', cmdCommandCount);
  registry.add('command|info', cmdCommandInfo);
  registry.add('command|docs', cmdCommandDocs);
  registry.add('command|list', cmdCommandList);
  registry.add('command|getkeys', cmdCommandGetkeys);
  registry.add('command|help', (c) => replyHelp(c, COMMAND_HELP));
}
