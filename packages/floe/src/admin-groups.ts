// The group operations of the admin API over the group coordinator: describe with lag, committed
// offsets, delete, and offset resets as Kafka's kafka-consumer-groups --reset-offsets does them
// (only while the group is empty or absent; targets clamped to [log start, high watermark];
// nothing written unless asked to execute).
import { offsetForTimestamp, type BrokerContext } from '@floe/broker';
import { AdminError, type AdminApi, type GroupDetail, type OffsetLagView, type OffsetReset, type OffsetResetResult } from '@floe/admin-api';
import { consumerGroupState, isConsumerGroup, type AnyGroup, type CommittedOffset, type GroupErrorKind } from '@floe/groups';
import { checkTopicName, type TopicInfo } from '@floe/log';
import { highWatermarks } from './consumer-lag.ts';

function stateOf(g: AnyGroup): string {
  return isConsumerGroup(g) ? consumerGroupState(g) : g.state;
}

/** Members are in the group (or joining it): Kafka refuses deletes and resets then. */
function isActive(g: AnyGroup): boolean {
  return isConsumerGroup(g) ? g.members.length > 0 : g.state !== 'Empty';
}

function checkGroupId(groupId: string): void {
  if (groupId === '') throw new AdminError('invalid', 'the group id must not be empty');
}

/** A group coordinator's refusal as the admin error a door answers. */
function groupFailure(groupId: string, kind: GroupErrorKind, what: string): AdminError {
  switch (kind) {
    case 'group-id-not-found':
      return new AdminError('not-found', `no group "${groupId}"`);
    case 'non-empty-group':
    case 'unknown-member-id':
    case 'illegal-generation':
    case 'rebalance-in-progress':
    case 'stale-member-epoch':
      return new AdminError('conflict', `group "${groupId}" has members: it must be inactive (Empty) to ${what}`);
    case 'invalid-group-id':
      return new AdminError('invalid', `invalid group id "${groupId}"`);
    default:
      return new AdminError('unavailable', `group "${groupId}": ${kind}, try again`);
  }
}

/** Committed offsets with the current high watermark and lag (null for a topic or partition gone). */
async function withLag(ctx: BrokerContext, committed: readonly CommittedOffset[]): Promise<OffsetLagView[]> {
  const topics = new Map((await ctx.topics.all()).map((t) => [t.name, t]));
  const hwm = highWatermarks(ctx.log);
  const out: OffsetLagView[] = [];
  for (const o of committed) {
    const t = topics.get(o.topic);
    const live = t !== undefined && t.id === o.topicId && o.partition < t.partitions;
    const end = live ? (await hwm({ topicId: t.id, partition: o.partition })).highWatermark : null;
    const offset = Number(o.offset);
    out.push({ topic: o.topic, partition: o.partition, committedOffset: offset, highWatermark: end, lag: end === null ? null : Math.max(0, end - offset) });
  }
  return out;
}

function checkReset(groupId: string, reset: OffsetReset): void {
  checkGroupId(groupId);
  try {
    checkTopicName(reset.topic);
  } catch (err) {
    throw new AdminError('invalid', (err as Error).message);
  }
  if (reset.partitions !== undefined) {
    if (reset.partitions.length === 0) throw new AdminError('invalid', 'partitions, when given, must name at least one partition');
    const seen = new Set<number>();
    for (const p of reset.partitions) {
      if (!Number.isInteger(p) || p < 0) throw new AdminError('invalid', `partitions must be 0 or more, not ${p}`);
      if (seen.has(p)) throw new AdminError('invalid', `partition ${p} is named twice`);
      seen.add(p);
    }
  }
  const to = reset.to;
  if (to.kind === 'offset' && !(Number.isSafeInteger(to.offset) && to.offset >= 0)) throw new AdminError('invalid', `the offset must be 0 to 2^53-1, not ${to.offset}`);
  if (to.kind === 'timestamp' && !(Number.isSafeInteger(to.timestampMs) && to.timestampMs >= 0)) {
    throw new AdminError('invalid', `the timestamp must be 0 to 2^53-1 ms, not ${to.timestampMs}`);
  }
}

/** Where the reset puts one partition, clamped to [log start, high watermark] as Kafka does. */
async function resetOffset(ctx: BrokerContext, t: TopicInfo, partition: number, reset: OffsetReset): Promise<number> {
  const ref = { topicId: t.id, partition };
  const { logStartOffset, highWatermark } = await ctx.log.offsets(ref, true);
  const to = reset.to;
  let target: number;
  if (to.kind === 'earliest') target = logStartOffset;
  else if (to.kind === 'latest') target = highWatermark;
  else if (to.kind === 'offset') target = to.offset;
  else target = (await offsetForTimestamp(ctx.log, ref, BigInt(to.timestampMs)))?.offset ?? highWatermark;
  return Math.min(Math.max(target, logStartOffset), highWatermark);
}

type GroupOperations = Pick<AdminApi, 'listGroups' | 'describeGroup' | 'groupOffsets' | 'deleteGroup' | 'resetGroupOffsets'>;

export function adminGroups(ctx: BrokerContext): GroupOperations {
  return {
    async listGroups() {
      return ctx.groups.list();
    },

    async describeGroup(groupId) {
      const g = await ctx.groups.describe(groupId);
      if (!g) return undefined;
      const consumer = isConsumerGroup(g);
      const detail: GroupDetail = {
        groupId,
        type: consumer ? 'consumer' : 'classic',
        protocolType: consumer ? 'consumer' : g.protocolType,
        state: stateOf(g),
        members: g.members.map((m) => ({ memberId: m.memberId, instanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost })),
        offsets: await withLag(ctx, await ctx.groups.fetchOffsets(groupId)),
      };
      return detail;
    },

    async groupOffsets(groupId) {
      const [g, committed] = await Promise.all([ctx.groups.describe(groupId), ctx.groups.fetchOffsets(groupId)]);
      if (!g && committed.length === 0) return undefined;
      return { groupId, state: g ? stateOf(g) : 'Dead', offsets: await withLag(ctx, committed) };
    },

    async deleteGroup(groupId) {
      checkGroupId(groupId);
      const refused = await ctx.groups.deleteGroup(groupId);
      if (refused) throw groupFailure(groupId, refused, 'be deleted');
    },

    async resetGroupOffsets(groupId, reset): Promise<OffsetResetResult> {
      checkReset(groupId, reset);
      const t = await ctx.log.topics.get(reset.topic);
      if (!t) throw new AdminError('not-found', `no topic "${reset.topic}"`);
      const partitions = reset.partitions ?? Array.from({ length: t.partitions }, (_, p) => p);
      const missing = partitions.find((p) => p >= t.partitions);
      if (missing !== undefined) throw new AdminError('not-found', `topic "${t.name}" has no partition ${missing} (it has ${t.partitions})`);
      const g = await ctx.groups.describe(groupId);
      if (g && isActive(g)) {
        throw new AdminError('conflict', `group "${groupId}" is ${stateOf(g)} with ${g.members.length} member(s): it must be inactive (Empty) to reset its offsets`);
      }
      // Offsets committed for an earlier topic of the same name are not this topic's.
      const previous = new Map(
        (await ctx.groups.fetchOffsets(groupId)).filter((o) => o.topic === t.name && o.topicId === t.id).map((o) => [o.partition, Number(o.offset)]),
      );
      const result: OffsetResetResult['partitions'] = [];
      for (const partition of partitions) {
        result.push({ partition, previousOffset: previous.get(partition) ?? null, newOffset: await resetOffset(ctx, t, partition, reset) });
      }
      if (reset.execute) {
        const now = Date.now();
        const offsets: CommittedOffset[] = result.map((r) => ({
          topic: t.name,
          partition: r.partition,
          offset: BigInt(r.newOffset),
          leaderEpoch: -1,
          metadata: '',
          commitTimestamp: now,
          topicId: t.id,
        }));
        // An admin commit (no member, generation -1) is refused by the coordinator, with a check
        // of the group's version, when a member joined since the state was read.
        const refused = await ctx.groups.commitOffsets(groupId, { generation: -1, memberId: '', instanceId: null }, offsets);
        if (refused) throw groupFailure(groupId, refused, 'reset its offsets');
      }
      return { groupId, topic: t.name, executed: reset.execute, partitions: result };
    },
  };
}
