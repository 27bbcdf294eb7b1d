// Picks the object store and the coordination store from the configuration. This package is the
// composition root: the only place that names concrete implementations.
import { fileURLToPath } from 'node:url';
import { DynamoDbCoordinationStore, EmbeddedCoordinationStore, type CoordinationStore } from '@floe/coordination';
import { FsObjectStore, S3ObjectStore, type ObjectStore } from '@floe/object-store';
import type { FloeConfig } from './config.ts';

export async function openObjectStore(config: FloeConfig): Promise<ObjectStore> {
  if (config.objectStore.startsWith('file://')) return FsObjectStore.open(fileURLToPath(config.objectStore));
  const url = new URL(config.objectStore);
  const prefix = url.pathname.replace(/^\/+/, '');
  return S3ObjectStore.open({
    bucket: url.hostname,
    ...(prefix ? { prefix: prefix.endsWith('/') ? prefix : `${prefix}/` } : {}),
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
    createBucket: config.createStorage,
  });
}

export async function openCoordinationStore(config: FloeConfig): Promise<CoordinationStore> {
  if (config.metadata.startsWith('dynamodb://')) {
    return DynamoDbCoordinationStore.open({
      table: config.metadata.slice('dynamodb://'.length),
      ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
      createTable: config.createStorage,
    });
  }
  return EmbeddedCoordinationStore.open(config.metadata);
}
