export * from './object-store.ts';
export { FsObjectStore } from './fs-object-store.ts';
export { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.ts';
