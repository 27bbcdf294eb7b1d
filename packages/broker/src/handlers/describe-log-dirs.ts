// DescribeLogDirs (key 35), versions 1-4: the node's log directories and the partitions in them.
//
// Version 0 is not served (Kafka 4 dropped it too). Floe keeps every partition in object
// storage, which every node shares, so each node answers one log directory, "object-store",
// holding every partition of the requested topics:
// - topics null: every topic, sorted by name, partitions in order. Topics named: those, in
//   request order (a topic named twice once, its partitions merged); unknown topics and
//   partitions are left out, as Kafka leaves out partitions a broker does not host.
// - partitionSize: the bytes of the batches still retained (from the log start on), from the
//   shard's replayed journal state, fresh from the journal. offsetLag 0 (no follower replicas),
//   isFutureKey false (no directory moves).
// - totalBytes and usableBytes (v4): -1, unknown for object storage.
// - errorCode (v3+): NONE.

import {
  ApiKey,
  defaultDescribeLogDirsResponse,
  defaultDescribeLogDirsResponseDescribeLogDirsPartition,
  defaultDescribeLogDirsResponseDescribeLogDirsResult,
  defaultDescribeLogDirsResponseDescribeLogDirsTopic,
  ErrorCode,
  type DescribeLogDirsResponseDescribeLogDirsTopic,
} from '@floe/protocol';
import type { PartitionRef, TopicInfo } from '@floe/log';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf } from './access.ts';

/** The one log directory a Floe node reports. */
export const FLOE_LOG_DIR = 'object-store';

export function describeLogDirsHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.DescribeLogDirs> {
  return defineHandler({
    apiKey: ApiKey.DescribeLogDirs,
    minVersion: 1,
    maxVersion: 4,
    async handle(rc, request) {
      // Describe on the cluster, else CLUSTER_AUTHORIZATION_FAILED (v3+) and no directories.
      if (!accessOf(ctx, rc).cluster('Describe')) return { ...defaultDescribeLogDirsResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
      // The topics and partitions to describe, in answer order.
      const wanted: { topic: TopicInfo; partitions: number[] }[] = [];
      if (request.topics === null) {
        const topics = (await ctx.topics.all()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const topic of topics) wanted.push({ topic, partitions: Array.from({ length: topic.partitions }, (_, i) => i) });
      } else {
        const byName = new Map<string, Set<number>>();
        for (const t of request.topics) {
          let set = byName.get(t.topic);
          if (!set) byName.set(t.topic, (set = new Set()));
          for (const p of t.partitions) set.add(p);
        }
        const found = await Promise.all([...byName].map(async ([name, set]) => ({ topic: await ctx.topics.byNameOrLoad(name), set })));
        for (const { topic, set } of found) {
          if (!topic) continue;
          const partitions = [...set].filter((p) => p >= 0 && p < topic.partitions);
          if (partitions.length > 0) wanted.push({ topic, partitions });
        }
      }

      // Sizes from the replayed journal (concurrent refreshes of one shard share one read).
      const sizes = new Map<string, bigint>();
      await Promise.all(
        wanted.flatMap((w) =>
          w.partitions.map(async (partition) => {
            sizes.set(`${w.topic.id}:${partition}`, BigInt(await ctx.log.partitionSize({ topicId: w.topic.id, partition })));
          }),
        ),
      );
      const sizeOf = (ref: PartitionRef): bigint => sizes.get(`${ref.topicId}:${ref.partition}`) ?? 0n;

      const topics: DescribeLogDirsResponseDescribeLogDirsTopic[] = wanted.map((w) => ({
        ...defaultDescribeLogDirsResponseDescribeLogDirsTopic(),
        name: w.topic.name,
        partitions: w.partitions.map((partition) => ({
          ...defaultDescribeLogDirsResponseDescribeLogDirsPartition(),
          partitionIndex: partition,
          partitionSize: sizeOf({ topicId: w.topic.id, partition }),
          offsetLag: 0n,
          isFutureKey: false,
        })),
      }));

      const response = defaultDescribeLogDirsResponse();
      response.errorCode = ErrorCode.NONE;
      response.results = [
        {
          ...defaultDescribeLogDirsResponseDescribeLogDirsResult(),
          errorCode: ErrorCode.NONE,
          logDir: FLOE_LOG_DIR,
          topics,
          totalBytes: -1n,
          usableBytes: -1n,
        },
      ];
      return response;
    },
  });
}
