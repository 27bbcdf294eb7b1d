// OffsetDelete (key 47), version 0: removes a group's committed offsets for some partitions.
// A group with members keeps the offsets of the topics its members subscribe to
// (GROUP_SUBSCRIBED_TO_TOPIC on those partitions); a group with members of a protocol type
// other than "consumer" (no readable subscription) refuses with NON_EMPTY_GROUP. Unknown topic
// or partition: UNKNOWN_TOPIC_OR_PARTITION. No such group: GROUP_ID_NOT_FOUND.
import { ApiKey, defaultOffsetDeleteResponse, ErrorCode, subscriptionTopics } from '@floe/protocol';
import { isConsumerGroup, metadataFor, subscribedTopics, type AnyGroup } from '@floe/groups';
import type { BrokerContext } from '../../broker-context.ts';
import { defineHandler, type ApiHandler } from '../../handler.ts';
import { groupErrorCode, groupFailureCode } from './group-errors.ts';
import { accessOf } from '../access.ts';

/** The topics a group's members subscribe to; undefined when its protocol carries no subscription. */
function subscriptions(g: AnyGroup, requested: readonly string[]): Set<string> | undefined {
  if (isConsumerGroup(g)) {
    const topics = new Set(g.members.flatMap((m) => m.subscribedNames));
    for (const m of g.members) {
      for (const t of subscribedTopics(m, new Map(requested.map((name) => [name, { id: name, name, partitions: 0 }])))) topics.add(t.name);
    }
    return topics;
  }
  if (g.protocolType !== 'consumer') return undefined;
  const topics = new Set<string>();
  for (const m of g.members) {
    // Before a protocol is chosen, any offered protocol's subscription counts.
    const offers = g.protocolName ? [metadataFor(g, m)] : m.protocols.map((p) => p.metadata);
    for (const metadata of offers) for (const t of subscriptionTopics(metadata) ?? []) topics.add(t);
  }
  return topics;
}

export function offsetDeleteHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.OffsetDelete> {
  return defineHandler({
    apiKey: ApiKey.OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(rc, request) {
      const response = defaultOffsetDeleteResponse();
      if (request.groupId === '') {
        response.errorCode = ErrorCode.INVALID_GROUP_ID;
        return response;
      }
      // Delete on the group (else a top-level GROUP_AUTHORIZATION_FAILED), Read on each topic
      // (else its partitions TOPIC_AUTHORIZATION_FAILED and their offsets kept), as in Kafka.
      const access = accessOf(ctx, rc);
      if (!access.group('Delete', request.groupId)) {
        response.errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
        return response;
      }
      const known: { topic: string; partition: number }[] = [];
      const unknown = new Set<string>();
      const denied = new Set(request.topics.filter((t) => !access.topic('Read', t.name)).map((t) => t.name));
      for (const t of request.topics) {
        if (denied.has(t.name)) continue;
        const topic = await ctx.topics.byNameOrLoad(t.name);
        for (const p of t.partitions) {
          if (topic && p.partitionIndex >= 0 && p.partitionIndex < topic.partitions) known.push({ topic: t.name, partition: p.partitionIndex });
          else unknown.add(`${t.name}\0${p.partitionIndex}`);
        }
      }
      try {
        const r = await ctx.groups.deleteOffsets(request.groupId, known, (g) => subscriptions(g, request.topics.map((t) => t.name)));
        if (r.error !== null) {
          response.errorCode = groupErrorCode(r.error);
          return response;
        }
        response.topics = request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: denied.has(t.name)
              ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
              : unknown.has(`${t.name}\0${p.partitionIndex}`)
              ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              : r.subscribed.has(t.name)
                ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC
                : ErrorCode.NONE,
          })),
        }));
      } catch (err) {
        response.errorCode = groupFailureCode(err);
      }
      return response;
    },
  });
}
