// JSON schemas shared by the admin routes (the OpenAPI document is generated from them).

export const topicSummary = {
  type: 'object',
  required: ['name', 'id', 'partitions'],
  properties: { name: { type: 'string' }, id: { type: 'string' }, partitions: { type: 'integer' } },
} as const;

export const topicDetail = {
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
} as const;

export const error = { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } as const;

/** Kafka's rule for topic names (the node checks it too, with Kafka's message). */
export const topicName = { type: 'string', minLength: 1, maxLength: 249, pattern: '^[a-zA-Z0-9._-]+$' } as const;

export const topicParams = { type: 'object', required: ['name'], properties: { name: topicName } } as const;
export const groupParams = { type: 'object', required: ['groupId'], properties: { groupId: { type: 'string', minLength: 1, maxLength: 1000 } } } as const;

export const offsetLag = {
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
} as const;
