/*
 * The configuration values the runtime acts on, as typed fields read on the command path
 * (settings.maxmemory, not a string lookup). The ConfigStore holds every Redis parameter as
 * text; it calls apply() whenever one of these changes (start-up, config file, CONFIG SET),
 * so a CONFIG SET takes effect at once.
 */
import { EVICTION_POLICY_NAMES, type EvictionPolicyCode } from '../store/types.ts';

export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export class Settings {
  port = 6379;
  bind: string[] = ['127.0.0.1', '-::1'];
  maxclients = 10000;
  /** Idle client timeout in seconds, 0 = never. */
  timeout = 0;
  tcpKeepalive = 300;
  protectedMode = true;
  databases = 16;
  protoMaxBulkLen = 512 * 1024 * 1024;
  outputLimitNormal: OutputLimit = { hard: 0, soft: 0, softSeconds: 0 };
  outputLimitPubsub: OutputLimit = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };
  /** tracking-table-max-keys: client-side caching's table bound (0 = none). */
  trackingTableMaxKeys = 1000000;
  /** client-query-buffer-limit: a client buffering more unparsed input is closed. */
  clientQueryBufferLimit = 1024 * 1024 * 1024;
  hz = 10;
  maxmemory = 0;
  /** maxmemory-clients: bytes, or a percentage of maxmemory stored negated (as Redis does), 0 = off. */
  maxmemoryClients = 0;
  maxmemoryPolicy: EvictionPolicyCode = 0;
  maxmemorySamples = 5;
  maxmemoryEvictionTenacity = 10;
  lfuLogFactor = 10;
  lfuDecayTime = 1;
  activeExpireEffort = 1;
  loglevel = 'notice';
  configFile = '';
  /** slabcache's own: number of store shards (power of two). */
  shards = 64;
  /** slabcache's own: HTTP metrics port, 0 = off. */
  metricsPort = 9121;
  /** slabcache's own: the sidecar serves HTTPS with the TLS certificate (tls-cert-file). */
  metricsTls = false;
  /** slabcache's own: the REST API's bearer token on the metrics port, '' = no REST API. */
  httpApiToken = '';
  /** slabcache's own: the largest REST request body accepted (413 beyond). */
  httpApiMaxBodySize = 10 * 1024 * 1024;
  /** zset-max-listpack-entries / zset-max-listpack-value: when a sorted set leaves the listpack encoding. */
  zsetMaxListpackEntries = 128;
  zsetMaxListpackValue = 64;
  /** hll-sparse-max-bytes: a sparse HyperLogLog growing past this becomes dense. */
  hllSparseMaxBytes = 3000;
  /** stream-node-max-bytes / stream-node-max-entries: when XADD starts a new stream node. */
  streamNodeMaxBytes = 4096;
  streamNodeMaxEntries = 100;

  /** Take a parameter's new value (already validated by the ConfigStore). */
  apply(name: string, value: string): void {
    switch (name) {
      case 'port': this.port = Number(value); break;
      case 'bind': this.bind = value.split(/\s+/).filter(Boolean); break;
      case 'maxclients': this.maxclients = Number(value); break;
      case 'timeout': this.timeout = Number(value); break;
      case 'tcp-keepalive': this.tcpKeepalive = Number(value); break;
      case 'protected-mode': this.protectedMode = value === 'yes'; break;
      case 'databases': this.databases = Number(value); break;
      case 'proto-max-bulk-len': this.protoMaxBulkLen = Number(value); break;
      case 'client-output-buffer-limit':
        this.outputLimitNormal = parseLimitClass(value, 'normal');
        this.outputLimitPubsub = parseLimitClass(value, 'pubsub');
        break;
      case 'client-query-buffer-limit': this.clientQueryBufferLimit = Number(value); break;
      case 'tracking-table-max-keys': this.trackingTableMaxKeys = Number(value); break;
      case 'hz': this.hz = Number(value); break;
      case 'maxmemory': this.maxmemory = Number(value); break;
      case 'maxmemory-clients': this.maxmemoryClients = value.endsWith('%') ? -Number(value.slice(0, -1)) : Number(value); break;
      case 'maxmemory-policy': this.maxmemoryPolicy = EVICTION_POLICY_NAMES.indexOf(value as never) as EvictionPolicyCode; break;
      case 'maxmemory-samples': this.maxmemorySamples = Number(value); break;
      case 'maxmemory-eviction-tenacity': this.maxmemoryEvictionTenacity = Number(value); break;
      case 'lfu-log-factor': this.lfuLogFactor = Number(value); break;
      case 'lfu-decay-time': this.lfuDecayTime = Number(value); break;
      case 'active-expire-effort': this.activeExpireEffort = Number(value); break;
      case 'loglevel': this.loglevel = value; break;
      case 'shards': this.shards = Number(value); break;
      case 'metrics-port': this.metricsPort = Number(value); break;
      case 'metrics-tls': this.metricsTls = value === 'yes'; break;
      case 'http-api-token': this.httpApiToken = value; break;
      case 'http-api-max-body-size': this.httpApiMaxBodySize = Number(value); break;
      case 'zset-max-listpack-entries': this.zsetMaxListpackEntries = Number(value); break;
      case 'zset-max-listpack-value': this.zsetMaxListpackValue = Number(value); break;
      case 'hll-sparse-max-bytes': this.hllSparseMaxBytes = Number(value); break;
      case 'stream-node-max-bytes': this.streamNodeMaxBytes = Number(value); break;
      case 'stream-node-max-entries': this.streamNodeMaxEntries = Number(value); break;
      default: break;
    }
  }
}

/** One class of "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60". */
function parseLimitClass(value: string, name: 'normal' | 'pubsub'): OutputLimit {
  const words = value.split(/\s+/);
  const at = words.indexOf(name);
  if (at < 0) return { hard: 0, soft: 0, softSeconds: 0 };
  return { hard: Number(words[at + 1]), soft: Number(words[at + 2]), softSeconds: Number(words[at + 3]) };
}
