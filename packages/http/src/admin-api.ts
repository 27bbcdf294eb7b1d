// The JSON admin API: what the HTTP door asks of the node, and the routes with their JSON
// schemas (validated by fastify: a body or parameter that does not fit gets 400 with a message;
// unknown fields are refused, not dropped). The composition root implements AdminApi over the
// storage core and the group coordinator.
import type { FastifyInstance } from 'fastify';

export interface NodeView {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface TopicSummary {
  name: string;
  id: string;
  partitions: number;
}

export interface PartitionView {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
}

export interface TopicDetail extends TopicSummary {
  configs: Record<string, string>;
  partitionOffsets: PartitionView[];
}

export interface GroupView {
  groupId: string;
  type: string;
  protocolType: string;
  state: string;
}

export interface GroupDetail extends GroupView {
  members: { memberId: string; instanceId: string | null; clientId: string; clientHost: string }[];
  offsets: { topic: string; partition: number; committedOffset: number; highWatermark: number | null; lag: number | null }[];
}

export type AdminErrorKind = 'invalid' | 'conflict' | 'not-found' | 'unavailable';

export class AdminError extends Error {
  readonly kind: AdminErrorKind;
  constructor(kind: AdminErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdminError';
    this.kind = kind;
  }
}

export interface AdminApi {
  cluster(): Promise<{ clusterId: string; nodes: NodeView[] }>;
  listTopics(): Promise<TopicSummary[]>;
  describeTopic(name: string): Promise<TopicDetail | undefined>;
  createTopic(name: string, partitions: number | undefined, configs: Record<string, string>): Promise<TopicSummary>;
  deleteTopic(name: string): Promise<void>;
  listGroups(): Promise<GroupView[]>;
  describeGroup(groupId: string): Promise<GroupDetail | undefined>;
}

const STATUS: Record<AdminErrorKind, number> = { invalid: 400, conflict: 409, 'not-found': 404, unavailable: 503 };

const topicSummary = {
  type: 'object',
  required: ['name', 'id', 'partitions'],
  properties: { name: { type: 'string' }, id: { type: 'string' }, partitions: { type: 'integer' } },
} as const;
const error = { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } as const;
const topicName = { type: 'string', minLength: 1, maxLength: 249, pattern: '^[a-zA-Z0-9._-]+$' } as const;

export function registerAdminRoutes(app: FastifyInstance, admin: AdminApi): void {
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
    handler: () => admin.cluster(),
  });

  app.get('/api/v1/topics', {
    schema: { summary: 'Every topic', response: { 200: { type: 'array', items: topicSummary } } },
    handler: () => admin.listTopics(),
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
      const created = await admin.createTopic(req.body.name, req.body.partitions, req.body.configs ?? {});
      return reply.code(201).send(created);
    },
  });

  app.get<{ Params: { name: string } }>('/api/v1/topics/:name', {
    schema: {
      summary: 'A topic with its configs and each partition’s log start and high watermark',
      params: { type: 'object', required: ['name'], properties: { name: topicName } },
      response: {
        200: {
          type: 'object',
          properties: {
            ...topicSummary.properties,
            configs: { type: 'object', additionalProperties: { type: 'string' } },
            partitionOffsets: {
              type: 'array',
              items: {
                type: 'object',
                properties: { partition: { type: 'integer' }, logStartOffset: { type: 'integer' }, highWatermark: { type: 'integer' } },
              },
            },
          },
        },
        404: error,
      },
    },
    handler: async (req, reply) => {
      const topic = await admin.describeTopic(req.params.name);
      if (!topic) return reply.code(404).send({ error: `no topic "${req.params.name}"` });
      return topic;
    },
  });

  app.delete<{ Params: { name: string } }>('/api/v1/topics/:name', {
    schema: {
      summary: 'Deletes a topic and its records',
      params: { type: 'object', required: ['name'], properties: { name: topicName } },
      response: { 204: { type: 'null' }, 404: error },
    },
    handler: async (req, reply) => {
      await admin.deleteTopic(req.params.name);
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
    handler: () => admin.listGroups(),
  });

  app.get<{ Params: { groupId: string } }>('/api/v1/groups/:groupId', {
    schema: {
      summary: 'A group: members, committed offsets and lag',
      params: { type: 'object', required: ['groupId'], properties: { groupId: { type: 'string', minLength: 1, maxLength: 1000 } } },
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
            offsets: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  topic: { type: 'string' },
                  partition: { type: 'integer' },
                  committedOffset: { type: 'integer' },
                  highWatermark: { type: ['integer', 'null'] },
                  lag: { type: ['integer', 'null'] },
                },
              },
            },
          },
        },
        404: error,
      },
    },
    handler: async (req, reply) => {
      const group = await admin.describeGroup(req.params.groupId);
      if (!group) return reply.code(404).send({ error: `no group "${req.params.groupId}"` });
      return group;
    },
  });
}
