// OffsetFetch (key 9), versions 0-9: committed offsets of one group (v0-7) or several (v8+), for
// the partitions asked or, with topics null (v2+), for every partition the group committed.
//
// - A partition with no committed offset answers offset -1, leader epoch -1, metadata "".
// - Offsets committed for a topic that was since deleted, or deleted and created again under the
//   same name (another topic id), are not answered: the consumer starts over as on a new topic.
// - requireStable (v7+): nothing is ever pending (no transactional offset commits yet), so every
//   answer is stable.
// - v9 names the member and its epoch: a consumer-protocol (KIP-848) member must be current
//   (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID for the group), as for its commits; classic groups
//   and requests without a member (epoch -1) are not checked.
import {
  ApiKey,
  defaultOffsetFetchResponse,
  ErrorCode,
  type OffsetFetchResponsePartitions,
  type OffsetFetchResponseTopics,
} from '@floe/protocol';
import type { CommittedOffset } from '@floe/groups';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { accessOf, type Access } from '../access.ts';
import { groupErrorCode, groupFailureCode } from './group-errors.ts';

type Wanted = { name: string; partitionIndexes: number[] }[] | null;

function noOffset(partitionIndex: number): OffsetFetchResponsePartitions {
  return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
}

export function offsetFetchHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.OffsetFetch> {
  /** One group's answer: its topics, or an error code for the whole group. */
  const fetchGroup = async (
    groupId: string,
    wanted: Wanted,
    access: Access,
    member?: { memberId: string | null; memberEpoch: number },
  ): Promise<{ errorCode: number; topics: OffsetFetchResponseTopics[] }> => {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    // Describe on the group, then on each topic: all-topics answers leave out the topics the
    // principal may not Describe, named ones get TOPIC_AUTHORIZATION_FAILED (Kafka's rules).
    if (!access.group('Describe', groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
    let committed: CommittedOffset[];
    try {
      if (member && member.memberId !== null && member.memberEpoch >= 0) {
        const refused = await ctx.groups.checkOffsetFetch(groupId, member.memberId, member.memberEpoch);
        if (refused !== null) return { errorCode: groupErrorCode(refused), topics: [] };
      }
      committed = await ctx.groups.fetchOffsets(groupId);
    } catch (err) {
      return { errorCode: groupFailureCode(err), topics: [] };
    }
    // Only offsets committed for the topic that now bears the name count.
    const live = new Map<string, CommittedOffset>();
    const ids = new Map<string, string | undefined>();
    for (const o of committed) {
      if (!ids.has(o.topic)) ids.set(o.topic, (await ctx.topics.byNameOrLoad(o.topic))?.id);
      if (ids.get(o.topic) === o.topicId) live.set(`${o.topic}\0${o.partition}`, o);
    }
    const answer = (o: CommittedOffset): OffsetFetchResponsePartitions => ({
      partitionIndex: o.partition,
      committedOffset: o.offset,
      committedLeaderEpoch: o.leaderEpoch,
      metadata: o.metadata ?? '',
      errorCode: ErrorCode.NONE,
    });
    if (wanted === null) {
      const byTopic = new Map<string, OffsetFetchResponsePartitions[]>();
      for (const o of live.values()) {
        if (!access.topic('Describe', o.topic)) continue;
        let list = byTopic.get(o.topic);
        if (!list) byTopic.set(o.topic, (list = []));
        list.push(answer(o));
      }
      return { errorCode: ErrorCode.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: wanted.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => {
          if (!access.topic('Describe', t.name)) return { ...noOffset(p), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          const o = live.get(`${t.name}\0${p}`);
          return o ? answer(o) : noOffset(p);
        }),
      })),
    };
  };

  return defineHandler({
    apiKey: ApiKey.OffsetFetch,
    minVersion: 0,
    maxVersion: 9,
    async handle(rc, request, header) {
      const response = defaultOffsetFetchResponse();
      const access = accessOf(ctx, rc);
      if (header.apiVersion >= 8) {
        response.groups = await Promise.all(
          request.groups.map(async (g) => {
            const r = await fetchGroup(g.groupId, g.topics, access, header.apiVersion >= 9 ? g : undefined);
            return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics };
          }),
        );
        return response;
      }
      // v0-1 always name their topics; null means "all" from v2 on.
      const r = await fetchGroup(request.groupId, header.apiVersion >= 2 ? request.topics : (request.topics ?? []), access);
      response.errorCode = header.apiVersion >= 2 ? r.errorCode : ErrorCode.NONE;
      response.topics = r.topics;
      if (header.apiVersion < 2 && r.errorCode !== ErrorCode.NONE) {
        // No top-level error before v2: the group's error goes on every partition.
        response.topics = (request.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => ({ ...noOffset(p), errorCode: r.errorCode })),
        }));
      }
      return response;
    },
  });
}
