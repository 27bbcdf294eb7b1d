// Every API handler a Floe node serves, bound to its BrokerContext. ApiVersions is added by
// createRegistry() and answers from these declarations.
import type { BrokerContext } from '../broker-context.ts';
import type { ApiHandler } from '../handler.ts';
import { createAclsHandler } from './acls/create-acls.ts';
import { deleteAclsHandler } from './acls/delete-acls.ts';
import { describeAclsHandler } from './acls/describe-acls.ts';
import { alterConfigsHandler } from './alter-configs.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { createTopicsHandler } from './create-topics.ts';
import { deleteRecordsHandler } from './delete-records.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { describeClientQuotasHandler } from './describe-client-quotas.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { describeLogDirsHandler } from './describe-log-dirs.ts';
import { describeProducersHandler } from './describe-producers.ts';
import { describeTopicPartitionsHandler } from './describe-topic-partitions.ts';
import { fetchHandler } from './fetch.ts';
import { consumerGroupDescribeHandler } from './groups/consumer-group-describe.ts';
import { consumerGroupHeartbeatHandler } from './groups/consumer-group-heartbeat.ts';
import { deleteGroupsHandler } from './groups/delete-groups.ts';
import { describeGroupsHandler } from './groups/describe-groups.ts';
import { findCoordinatorHandler } from './groups/find-coordinator.ts';
import { heartbeatHandler } from './groups/heartbeat.ts';
import { joinGroupHandler } from './groups/join-group.ts';
import { leaveGroupHandler } from './groups/leave-group.ts';
import { listGroupsHandler } from './groups/list-groups.ts';
import { offsetCommitHandler } from './groups/offset-commit.ts';
import { offsetDeleteHandler } from './groups/offset-delete.ts';
import { offsetFetchHandler } from './groups/offset-fetch.ts';
import { syncGroupHandler } from './groups/sync-group.ts';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.ts';
import { produceHandler } from './produce.ts';
import { saslAuthenticateHandler } from './sasl/sasl-authenticate.ts';
import { saslHandshakeHandler } from './sasl/sasl-handshake.ts';
import { alterUserScramCredentialsHandler } from './scram/alter-user-scram-credentials.ts';
import { describeUserScramCredentialsHandler } from './scram/describe-user-scram-credentials.ts';

export function brokerHandlers(ctx: BrokerContext): ApiHandler[] {
  return [
    metadataHandler(ctx),
    createTopicsHandler(ctx),
    deleteTopicsHandler(ctx),
    produceHandler(ctx),
    initProducerIdHandler(ctx),
    fetchHandler(ctx),
    listOffsetsHandler(ctx),
    offsetForLeaderEpochHandler(ctx),
    deleteRecordsHandler(ctx),
    describeClusterHandler(ctx),
    describeClientQuotasHandler(ctx),
    describeTopicPartitionsHandler(ctx),
    describeLogDirsHandler(ctx),
    describeProducersHandler(ctx),
    describeConfigsHandler(ctx),
    alterConfigsHandler(ctx),
    incrementalAlterConfigsHandler(ctx),
    createPartitionsHandler(ctx),
    findCoordinatorHandler(ctx),
    joinGroupHandler(ctx),
    syncGroupHandler(ctx),
    heartbeatHandler(ctx),
    leaveGroupHandler(ctx),
    offsetCommitHandler(ctx),
    offsetFetchHandler(ctx),
    listGroupsHandler(ctx),
    describeGroupsHandler(ctx),
    deleteGroupsHandler(ctx),
    offsetDeleteHandler(ctx),
    consumerGroupHeartbeatHandler(ctx),
    consumerGroupDescribeHandler(ctx),
    describeAclsHandler(ctx),
    createAclsHandler(ctx),
    deleteAclsHandler(ctx),
    saslHandshakeHandler(),
    saslAuthenticateHandler(),
    ...(ctx.credentials ? [describeUserScramCredentialsHandler(ctx), alterUserScramCredentialsHandler(ctx)] : []),
  ] as ApiHandler[];
}
