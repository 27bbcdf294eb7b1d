// Metadata (key 3), versions 0-12: the nodes, and each topic's partitions with their leader.
// Floe has no replicas of its own (object storage keeps the data), so every partition lists its
// leader as its only replica and in-sync replica, with leader epoch 0.

import {
  ApiKey,
  defaultMetadataResponse,
  defaultMetadataResponseBroker,
  defaultMetadataResponsePartition,
  defaultMetadataResponseTopic,
  ErrorCode,
  type MetadataResponseTopic,
} from '@floe/protocol';
import { checkTopicName, LogError, type TopicInfo } from '@floe/log';
import type { BrokerContext, BrokerNode } from '../broker-context.ts';
import { CLOSE_CONNECTION, defineHandler, type ApiHandler } from '../handler.ts';
import { accessOf, type Access } from './access.ts';
import { preferredNode } from './partition-leader.ts';
import { OPERATIONS_NOT_REQUESTED, ZERO_UUID } from './kafka-constants.ts';
import { advertisedNodes } from '../advertised.ts';
import { clusterOperations } from './describe-cluster.ts';

/** The ACL operations that apply to a topic, with Kafka's codes (topicAuthorizedOperations). */
const TOPIC_OPERATIONS = [
  ['Read', 3],
  ['Write', 4],
  ['Create', 5],
  ['Delete', 6],
  ['Alter', 7],
  ['Describe', 8],
  ['DescribeConfigs', 10],
  ['AlterConfigs', 11],
] as const;

export function metadataHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.Metadata> {
  const describe = (t: TopicInfo, nodes: readonly BrokerNode[]): MetadataResponseTopic => {
    return {
      ...defaultMetadataResponseTopic(),
      name: t.name,
      topicId: t.id,
      topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
      partitions: Array.from({ length: t.partitions }, (_, partition) => {
        const leader = preferredNode(nodes, t.id, partition).nodeId;
        return {
          ...defaultMetadataResponsePartition(),
          partitionIndex: partition,
          leaderId: leader,
          leaderEpoch: 0,
          replicaNodes: [leader],
          isrNodes: [leader],
          offlineReplicas: [],
        };
      }),
    };
  };
  const failed = (name: string | null, topicId: string, errorCode: number): MetadataResponseTopic => ({
    ...defaultMetadataResponseTopic(),
    name,
    topicId,
    errorCode,
    topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
  });

  /**
   * The topic named `name`, created first when auto-creation is on and the client allows it.
   * With ACLs: a topic the principal may not Describe is TOPIC_AUTHORIZATION_FAILED whether it
   * exists or not, and auto-creation needs Create on the cluster or the topic (else
   * TOPIC_AUTHORIZATION_FAILED, as Kafka answers).
   */
  const byName = async (name: string, allowCreate: boolean, nodes: readonly BrokerNode[], access: Access): Promise<MetadataResponseTopic> => {
    try {
      checkTopicName(name);
    } catch {
      return failed(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
    }
    if (!access.topic('Describe', name)) return failed(name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    let topic = await ctx.topics.byNameOrLoad(name);
    if (!topic && allowCreate && ctx.settings.autoCreateTopics) {
      if (!access.cluster('Create') && !access.topic('Create', name)) return failed(name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      try {
        topic = await ctx.log.topics.create(name, ctx.settings.defaultPartitions, {});
      } catch (err) {
        if (!(err instanceof LogError && err.kind === 'topic-already-exists')) throw err;
        ctx.topics.invalidate();
        topic = await ctx.topics.byNameOrLoad(name);
      }
      ctx.topics.invalidate();
    }
    return topic ? describe(topic, nodes) : failed(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  };

  return defineHandler({
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle(rc, request, header) {
      const response = defaultMetadataResponse();
      const access = accessOf(ctx, rc);
      // One view of the live nodes per request: brokers and partition leaders must agree.
      const nodes = advertisedNodes(ctx, rc);
      response.brokers = nodes.map((n) => ({
        ...defaultMetadataResponseBroker(),
        nodeId: n.nodeId,
        host: n.host,
        port: n.port,
        rack: n.rack,
      }));
      response.clusterId = ctx.clusterId;
      response.controllerId = ctx.self.nodeId;
      response.clusterAuthorizedOperations = OPERATIONS_NOT_REQUESTED;
      // v0: an empty list means every topic; v1+: null means every topic, empty means none.
      const all = request.topics === null || (header.apiVersion === 0 && request.topics.length === 0);
      // v8+: the operations the principal may perform, when asked (cluster ones up to v10).
      if (header.apiVersion >= 8 && header.apiVersion <= 10 && request.includeClusterAuthorizedOperations) {
        response.clusterAuthorizedOperations = clusterOperations(access);
      }
      const withOperations = (topics: MetadataResponseTopic[]): MetadataResponseTopic[] => {
        if (header.apiVersion < 8 || !request.includeTopicAuthorizedOperations) return topics;
        for (const t of topics) if (t.errorCode === ErrorCode.NONE && t.name !== null) t.topicAuthorizedOperations = access.operationBits('Topic', t.name, TOPIC_OPERATIONS);
        return topics;
      };
      if (all) {
        // Topics the principal may not Describe are left out, as if they did not exist.
        const visible = (await ctx.topics.all()).filter((t) => access.topic('Describe', t.name));
        response.topics = withOperations(visible.sort((a, b) => (a.name < b.name ? -1 : 1)).map((t) => describe(t, nodes)));
        return response;
      }
      // Topics by id (a null name) exist from v12 on; before it the answer could not even carry
      // such a topic (names are not nullable), so the request is malformed for its version.
      if (header.apiVersion < 12 && request.topics!.some((t) => t.name === null)) {
        rc.logger.warn({ apiVersion: header.apiVersion }, 'Metadata request names a topic by id before v12, closing the connection');
        return CLOSE_CONNECTION;
      }
      // Before v4 there is no allowAutoTopicCreation field: Kafka treats it as true.
      const allowCreate = header.apiVersion < 4 || request.allowAutoTopicCreation;
      // A topic that cannot be looked up (the coordination table unreachable) is answered
      // LEADER_NOT_AVAILABLE, which every client retries, instead of failing the request (which
      // closes the connection).
      response.topics = await Promise.all(
        request.topics!.map(async (t) => {
          if (t.name !== null) {
            const name = t.name;
            return byName(name, allowCreate, nodes, access).catch(() => failed(name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE));
          }
          const topic = await ctx.topics.byIdOrLoad(t.topicId).catch(() => null);
          if (topic === null) return failed(null, t.topicId, ErrorCode.LEADER_NOT_AVAILABLE);
          if (!topic) return failed(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID);
          // Kafka does not hold topic ids secret: an id the principal may not Describe is
          // TOPIC_AUTHORIZATION_FAILED, without its name.
          return access.topic('Describe', topic.name) ? describe(topic, nodes) : failed(null, t.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        }),
      );
      withOperations(response.topics);
      // A topic-level error makes Kafka's clients drop the topic's partitions from their view
      // (a consumer group then rebalances): worth a line when looking into one.
      for (const t of response.topics) {
        if (t.errorCode !== ErrorCode.NONE) rc.logger.debug({ topic: t.name, topicId: t.topicId, errorCode: t.errorCode }, 'Metadata: topic answered with an error');
      }
      return response;
    },
  });
}
