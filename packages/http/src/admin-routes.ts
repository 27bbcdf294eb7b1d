// The JSON admin API: the routes over the admin contract (@floe/admin-api) with their JSON
// schemas (validated by fastify: a body or parameter that does not fit gets 400 with a message;
// unknown fields are refused, not dropped). The composition root implements AdminApi over the
// storage core and the group coordinator.
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { registerAdminChangeRoutes } from './admin-change-routes.ts';
import { error, groupParams, offsetLag, topicDetail, topicName, topicParams, topicSummary } from './admin-schemas.ts';
import { AdminError, DEFAULT_RECORDS_LIMIT, MAX_RECORDS_LIMIT, type AdminErrorKind, type AdminFor, type StoredRecord } from '@floe/admin-api';
import { callerOf } from './caller.ts';

const STATUS: Record<AdminErrorKind, number> = { invalid: 400, unauthenticated: 401, forbidden: 403, 'not-found': 404, exists: 409, conflict: 409, unavailable: 503 };

/** Bytes as JSON: UTF-8 text when they are valid UTF-8, else base64 (and the encoding says so). */
function rendered(bytes: Buffer | null): { text: string | null; encoding: 'utf8' | 'base64' } {
  if (bytes === null) return { text: null, encoding: 'utf8' };
  return isUtf8(bytes) ? { text: bytes.toString('utf8'), encoding: 'utf8' } : { text: bytes.toString('base64'), encoding: 'base64' };
}

function recordJson(r: StoredRecord) {
  const key = rendered(r.key);
  const value = rendered(r.value);
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    key: key.text,
    keyEncoding: key.encoding,
    value: value.text,
    valueEncoding: value.encoding,
    headers: r.headers.map((h) => {
      const v = rendered(h.value);
      return { key: h.key, value: v.text, valueEncoding: v.encoding };
    }),
  };
}

const encoding = { type: 'string', enum: ['utf8', 'base64'] } as const;
const nullableText = { type: ['string', 'null'] } as const;
// Path and query values arrive as text and are not coerced (coerceTypes is off), so numbers are
// checked as digit strings: no sign, no leading zero, no fraction.
const partitionParam = { type: 'string', pattern: '^(0|[1-9][0-9]{0,4})$', description: 'partition number' } as const;
const offsetQuery = { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$', description: 'first offset wanted (default: the log start offset)' } as const;
const limitQuery = {
  type: 'string',
  pattern: '^([1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)$',
  description: `most records answered, 1-${MAX_RECORDS_LIMIT} (default ${DEFAULT_RECORDS_LIMIT})`,
} as const;

export function registerAdminRoutes(app: FastifyInstance, admin: AdminFor): void {
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof AdminError) return reply.code(STATUS[err.kind]).send({ error: err.message });
    const e = err as { validation?: unknown; statusCode?: number; message: string };
    if (e.validation) return reply.code(400).send({ error: e.message });
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return reply.code(e.statusCode).send({ error: e.message });
    return reply.code(503).send({ error: `the node could not answer: ${e.message}` });
  });

  app.get('/api/v1/cluster', {
    schema: {
      summary: 'The cluster id and its live nodes',
      response: {
        200: {
          type: 'object',
          required: ['clusterId', 'nodes'],
          properties: {
            clusterId: { type: 'string' },
            nodes: {
              type: 'array',
              items: {
                type: 'object',
                properties: { nodeId: { type: 'integer' }, host: { type: 'string' }, port: { type: 'integer' }, rack: { type: ['string', 'null'] } },
              },
            },
          },
        },
      },
    },
    handler: (req) => admin(callerOf(req)).cluster(),
  });

  app.get('/api/v1/topics', {
    schema: { summary: 'Every topic', response: { 200: { type: 'array', items: topicSummary } } },
    handler: (req) => admin(callerOf(req)).listTopics(),
  });

  app.post<{ Body: { name: string; partitions?: number; configs?: Record<string, string> } }>('/api/v1/topics', {
    schema: {
      summary: 'Creates a topic (partitions default to the node setting; configs as Kafka names them)',
      body: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: topicName,
          partitions: { type: 'integer', minimum: 1, maximum: 10000 },
          configs: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      response: { 201: topicSummary, 400: error, 409: error },
    },
    handler: async (req, reply) => {
      const created = await admin(callerOf(req)).createTopic(req.body.name, req.body.partitions, req.body.configs ?? {});
      return reply.code(201).send(created);
    },
  });

  app.get<{ Params: { name: string } }>('/api/v1/topics/:name', {
    schema: {
      summary: 'A topic with its configs and each partition’s log start and high watermark',
      params: topicParams,
      response: {
        200: topicDetail,
        404: error,
      },
    },
    handler: async (req, reply) => {
      const topic = await admin(callerOf(req)).describeTopic(req.params.name);
      if (!topic) return reply.code(404).send({ error: `no topic "${req.params.name}"` });
      return topic;
    },
  });

  app.delete<{ Params: { name: string } }>('/api/v1/topics/:name', {
    schema: {
      summary: 'Deletes a topic and its records',
      params: topicParams,
      response: { 204: { type: 'null' }, 404: error },
    },
    handler: async (req, reply) => {
      await admin(callerOf(req)).deleteTopic(req.params.name);
      return reply.code(204).send();
    },
  });

  app.get('/api/v1/groups', {
    schema: {
      summary: 'Every consumer group with its type and state',
      response: {
        200: {
          type: 'array',
          items: {
            type: 'object',
            properties: { groupId: { type: 'string' }, type: { type: 'string' }, protocolType: { type: 'string' }, state: { type: 'string' } },
          },
        },
      },
    },
    handler: (req) => admin(callerOf(req)).listGroups(),
  });

  app.get<{ Params: { groupId: string } }>('/api/v1/groups/:groupId', {
    schema: {
      summary: 'A group: members, committed offsets and lag',
      params: groupParams,
      response: {
        200: {
          type: 'object',
          properties: {
            groupId: { type: 'string' },
            type: { type: 'string' },
            protocolType: { type: 'string' },
            state: { type: 'string' },
            members: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  memberId: { type: 'string' },
                  instanceId: { type: ['string', 'null'] },
                  clientId: { type: 'string' },
                  clientHost: { type: 'string' },
                },
              },
            },
            offsets: offsetLag,
          },
        },
        404: error,
      },
    },
    handler: async (req, reply) => {
      const group = await admin(callerOf(req)).describeGroup(req.params.groupId);
      if (!group) return reply.code(404).send({ error: `no group "${req.params.groupId}"` });
      return group;
    },
  });
  app.get<{ Params: { name: string; partition: string }; Querystring: { offset?: string; limit?: string } }>('/api/v1/topics/:name/partitions/:partition/records', {
    schema: {
      summary: 'Records of a partition from an offset: keys, values and header values as UTF-8 text, or base64 when not valid UTF-8. An offset outside [logStartOffset, highWatermark] answers no records, with nextOffset the nearest readable one',
      params: { type: 'object', required: ['name', 'partition'], properties: { name: topicName, partition: partitionParam } },
      querystring: { type: 'object', additionalProperties: false, properties: { offset: offsetQuery, limit: limitQuery } },
      response: {
        200: {
          type: 'object',
          required: ['topic', 'partition', 'logStartOffset', 'highWatermark', 'nextOffset', 'records'],
          properties: {
            topic: { type: 'string' },
            partition: { type: 'integer' },
            logStartOffset: { type: 'integer' },
            highWatermark: { type: 'integer' },
            nextOffset: { type: 'integer' },
            records: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  offset: { type: 'integer' },
                  timestamp: { type: 'integer' },
                  key: nullableText,
                  keyEncoding: encoding,
                  value: nullableText,
                  valueEncoding: encoding,
                  headers: {
                    type: 'array',
                    items: { type: 'object', properties: { key: { type: 'string' }, value: nullableText, valueEncoding: encoding } },
                  },
                },
              },
            },
          },
        },
        400: error,
        404: error,
      },
    },
    handler: async (req, reply) => {
      const { name } = req.params;
      const partition = Number(req.params.partition);
      const offset = req.query.offset === undefined ? undefined : Number(req.query.offset);
      if (offset !== undefined && !Number.isSafeInteger(offset)) return reply.code(400).send({ error: `offset must be 0 to 2^53-1, not ${req.query.offset}` });
      const limit = req.query.limit === undefined ? DEFAULT_RECORDS_LIMIT : Number(req.query.limit);
      const page = await admin(callerOf(req)).readRecords(name, partition, offset, limit);
      if (!page) return reply.code(404).send({ error: `no topic "${name}"` });
      return { topic: name, partition, logStartOffset: page.logStartOffset, highWatermark: page.highWatermark, nextOffset: page.nextOffset, records: page.records.map(recordJson) };
    },
  });

  registerAdminChangeRoutes(app, admin);
}
