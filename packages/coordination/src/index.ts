export * from './coordination-store.ts';
export { DynamoDbCoordinationStore, type DynamoDbStoreOptions } from './dynamodb-store.ts';
export { TTL_ATTRIBUTE, compareUtf8 } from './validation.ts';
export { EmbeddedCoordinationStore, type EmbeddedStoreOptions } from './embedded-store.ts';
