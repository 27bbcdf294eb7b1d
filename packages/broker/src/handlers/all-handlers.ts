// Every API handler a Floe node serves, bound to its BrokerContext. ApiVersions is added by
// createRegistry() and answers from these declarations.
import type { BrokerContext } from '../broker-context.ts';
import type { ApiHandler } from '../handler.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { alterConfigsHandler } from './alter-configs.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { createTopicsHandler } from './create-topics.ts';
import { deleteRecordsHandler } from './delete-records.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { describeLogDirsHandler } from './describe-log-dirs.ts';
import { describeProducersHandler } from './describe-producers.ts';
import { describeTopicPartitionsHandler } from './describe-topic-partitions.ts';
import { fetchHandler } from './fetch.ts';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.ts';
import { produceHandler } from './produce.ts';

export function brokerHandlers(ctx: BrokerContext, logger: Logger = silentLogger): ApiHandler[] {
  return [
    metadataHandler(ctx),
    createTopicsHandler(ctx),
    deleteTopicsHandler(ctx),
    produceHandler(ctx, { logger }),
    initProducerIdHandler(ctx, { logger }),
    fetchHandler(ctx),
    listOffsetsHandler(ctx),
    offsetForLeaderEpochHandler(ctx),
    deleteRecordsHandler(ctx),
    describeClusterHandler(ctx),
    describeTopicPartitionsHandler(ctx),
    describeLogDirsHandler(ctx),
    describeProducersHandler(ctx),
    describeConfigsHandler(ctx),
    alterConfigsHandler(ctx),
    incrementalAlterConfigsHandler(ctx),
    createPartitionsHandler(ctx),
  ] as ApiHandler[];
}
