// Topic configs as Kafka clients know them. Floe accepts every name Kafka defines for topics so
// that tools setting them (TopicCommand, Terraform providers) work; it validates the values of the
// ones it acts on and rejects names Kafka does not know with INVALID_CONFIG.

export interface TopicConfigDef {
  /** Kafka's default, as DescribeConfigs reports it. */
  default: string;
  /** Checks a value; returns a message when it is invalid. */
  check?: (value: string) => string | undefined;
  /** Floe acts on it (the others are accepted and kept for compatibility). */
  used?: boolean;
}

const long = (min: number) => (v: string) =>
  /^-?\d+$/.test(v) && Number(v) >= min && Number.isSafeInteger(Number(v)) ? undefined : `must be an integer ≥ ${min}`;
const oneOf = (...values: string[]) => (v: string) => (values.includes(v) ? undefined : `must be one of ${values.join(', ')}`);
const cleanupPolicy = (v: string) => {
  const parts = v.split(',').map((s) => s.trim());
  return parts.length > 0 && parts.every((p) => p === 'delete' || p === 'compact') ? undefined : 'must be delete, compact or both';
};
const bool = oneOf('true', 'false');

export const TOPIC_CONFIGS: Readonly<Record<string, TopicConfigDef>> = {
  'cleanup.policy': { default: 'delete', check: cleanupPolicy, used: true },
  'compression.type': { default: 'producer', check: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer') },
  'delete.retention.ms': { default: '86400000', check: long(0) },
  'file.delete.delay.ms': { default: '60000', check: long(0) },
  'flush.messages': { default: '9223372036854775807', check: long(1) },
  'flush.ms': { default: '9223372036854775807', check: long(0) },
  'follower.replication.throttled.replicas': { default: '' },
  'index.interval.bytes': { default: '4096', check: long(0) },
  'leader.replication.throttled.replicas': { default: '' },
  'local.retention.bytes': { default: '-2', check: long(-2) },
  'local.retention.ms': { default: '-2', check: long(-2) },
  'max.compaction.lag.ms': { default: '9223372036854775807', check: long(1) },
  'max.message.bytes': { default: '1048588', check: long(0), used: true },
  'message.timestamp.after.max.ms': { default: '9223372036854775807', check: long(0) },
  'message.timestamp.before.max.ms': { default: '9223372036854775807', check: long(0) },
  'message.timestamp.type': { default: 'CreateTime', check: oneOf('CreateTime', 'LogAppendTime'), used: true },
  'min.cleanable.dirty.ratio': { default: '0.5', check: (v) => (/^\d*\.?\d+$/.test(v) && Number(v) <= 1 ? undefined : 'must be between 0 and 1') },
  'min.compaction.lag.ms': { default: '0', check: long(0) },
  'min.insync.replicas': { default: '1', check: long(1) },
  preallocate: { default: 'false', check: bool },
  'remote.storage.enable': { default: 'false', check: bool },
  'retention.bytes': { default: '-1', check: long(-1), used: true },
  'retention.ms': { default: '604800000', check: long(-1), used: true },
  'segment.bytes': { default: '1073741824', check: long(14) },
  'segment.index.bytes': { default: '10485760', check: long(4) },
  'segment.jitter.ms': { default: '0', check: long(0) },
  'segment.ms': { default: '604800000', check: long(1) },
  'unclean.leader.election.enable': { default: 'false', check: bool },
};

/** Validates configs for a topic; returns the first problem as a message, or undefined. */
export function checkTopicConfigs(configs: Record<string, string | null>): string | undefined {
  for (const [name, value] of Object.entries(configs)) {
    // Own properties only: "__proto__" or "constructor" must not pass as known configs.
    const def = Object.hasOwn(TOPIC_CONFIGS, name) ? TOPIC_CONFIGS[name] : undefined;
    if (!def) return `unknown topic config "${name}"`;
    if (value === null) return `config "${name}" has no value`;
    const problem = def.check?.(value);
    if (problem) return `invalid value "${value}" for ${name}: ${problem}`;
  }
  return undefined;
}
