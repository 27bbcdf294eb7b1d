export * from './coordination-store.ts';
