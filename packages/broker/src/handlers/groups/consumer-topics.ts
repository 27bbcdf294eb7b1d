import type { AssignorTopic } from '@floe/groups';
import type { BrokerContext } from '../../broker-context.ts';

/** The cluster's topics by name, as the consumer-protocol assignors see them. */
export async function topicsForAssignment(ctx: BrokerContext): Promise<Map<string, AssignorTopic>> {
  const topics = await ctx.topics.all();
  return new Map(topics.map((t) => [t.name, { id: t.id, name: t.name, partitions: t.partitions }]));
}
