// The admin routes that change topics and groups beyond create and delete: a topic's configs
// (as IncrementalAlterConfigs SET and DELETE), its partition count, a group's committed offsets,
// deleting a group and resetting its offsets (a dry run unless `execute` is true, as Kafka's
// kafka-consumer-groups --reset-offsets). Bodies are checked by their JSON schemas first
// (unknown fields and wrong types are 400); the node applies Kafka's checks after.
import type { FastifyInstance } from 'fastify';
import type { AdminFor, OffsetResetTarget } from '@floe/admin-api';
import { callerOf } from './caller.ts';
import { error, groupParams, offsetLag, topicDetail, topicName, topicParams, topicSummary } from './admin-schemas.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const configName = { type: 'string', minLength: 1, maxLength: 255 } as const;

interface ResetBody {
  topic: string;
  partitions?: number[];
  to: 'earliest' | 'latest' | 'offset' | 'timestamp';
  offset?: number;
  timestamp?: number;
  execute?: boolean;
}

/** The reset target of a body; a number the target does not take is refused rather than ignored. */
function resetTarget(body: ResetBody): OffsetResetTarget | string {
  if (body.offset !== undefined && body.to !== 'offset') return `"offset" goes with "to": "offset", not "${body.to}"`;
  if (body.timestamp !== undefined && body.to !== 'timestamp') return `"timestamp" goes with "to": "timestamp", not "${body.to}"`;
  switch (body.to) {
    case 'earliest':
    case 'latest':
      return { kind: body.to };
    case 'offset':
      return body.offset === undefined ? '"to": "offset" needs "offset"' : { kind: 'offset', offset: body.offset };
    case 'timestamp':
      return body.timestamp === undefined ? '"to": "timestamp" needs "timestamp"' : { kind: 'timestamp', timestampMs: body.timestamp };
  }
}

export function registerAdminChangeRoutes(app: FastifyInstance, admin: AdminFor): void {
  app.patch<{ Params: { name: string }; Body: { set?: Record<string, string>; delete?: string[] } }>('/api/v1/topics/:name/configs', {
    schema: {
      summary: 'Sets and deletes configs of a topic (as IncrementalAlterConfigs SET and DELETE; deleted names return to their defaults); answers the topic',
      params: topicParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          set: { type: 'object', additionalProperties: { type: 'string' } },
          delete: { type: 'array', items: configName, uniqueItems: true },
        },
      },
      response: { 200: topicDetail, 400: error, 404: error },
    },
    handler: async (req) => admin(callerOf(req)).alterTopicConfigs(req.params.name, { set: req.body.set ?? {}, delete: req.body.delete ?? [] }),
  });

  app.post<{ Params: { name: string }; Body: { count: number } }>('/api/v1/topics/:name/partitions', {
    schema: {
      summary: 'Raises the number of partitions of a topic to `count` (as CreatePartitions: it must grow)',
      params: topicParams,
      body: {
        type: 'object',
        required: ['count'],
        additionalProperties: false,
        properties: { count: { type: 'integer', minimum: 1, maximum: 1_000_000 } },
      },
      response: { 200: topicSummary, 400: error, 404: error },
    },
    handler: async (req) => admin(callerOf(req)).addPartitions(req.params.name, req.body.count),
  });

  app.get<{ Params: { groupId: string } }>('/api/v1/groups/:groupId/offsets', {
    schema: {
      summary: 'A group’s committed offsets with each partition’s high watermark and lag',
      params: groupParams,
      response: {
        200: { type: 'object', properties: { groupId: { type: 'string' }, state: { type: 'string' }, offsets: offsetLag } },
        404: error,
      },
    },
    handler: async (req, reply) => {
      const offsets = await admin(callerOf(req)).groupOffsets(req.params.groupId);
      if (!offsets) return reply.code(404).send({ error: `no group "${req.params.groupId}"` });
      return offsets;
    },
  });

  app.delete<{ Params: { groupId: string } }>('/api/v1/groups/:groupId', {
    schema: {
      summary: 'Deletes a group without members, with its committed offsets (409 while it has members)',
      params: groupParams,
      response: { 204: { type: 'null' }, 404: error, 409: error },
    },
    handler: async (req, reply) => {
      await admin(callerOf(req)).deleteGroup(req.params.groupId);
      return reply.code(204).send();
    },
  });

  app.post<{ Params: { groupId: string }; Body: ResetBody }>('/api/v1/groups/:groupId/offsets/reset', {
    schema: {
      summary:
        'Resets a group’s offsets for a topic (all or the listed partitions) to the earliest, the latest, an offset or a timestamp (the first record at or after it, else the end), clamped to [log start, high watermark]. A dry run answering the new offsets unless execute is true; refused (409) while the group has members',
      params: groupParams,
      body: {
        type: 'object',
        required: ['topic', 'to'],
        additionalProperties: false,
        properties: {
          topic: topicName,
          partitions: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 999_999 }, minItems: 1, uniqueItems: true },
          to: { type: 'string', enum: ['earliest', 'latest', 'offset', 'timestamp'] },
          offset: { type: 'integer', minimum: 0, maximum: MAX_SAFE, description: 'with "to": "offset"' },
          timestamp: { type: 'integer', minimum: 0, maximum: MAX_SAFE, description: 'with "to": "timestamp": milliseconds since the epoch' },
          execute: { type: 'boolean', description: 'commit the new offsets (default false: a dry run)' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            groupId: { type: 'string' },
            topic: { type: 'string' },
            executed: { type: 'boolean' },
            partitions: {
              type: 'array',
              items: {
                type: 'object',
                properties: { partition: { type: 'integer' }, previousOffset: { type: ['integer', 'null'] }, newOffset: { type: 'integer' } },
              },
            },
          },
        },
        400: error,
        404: error,
        409: error,
      },
    },
    handler: async (req, reply) => {
      const to = resetTarget(req.body);
      if (typeof to === 'string') return reply.code(400).send({ error: to });
      const { topic, partitions, execute } = req.body;
      return admin(callerOf(req)).resetGroupOffsets(req.params.groupId, { topic, ...(partitions ? { partitions } : {}), to, execute: execute === true });
    },
  });
}
