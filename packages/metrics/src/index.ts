export { FloeMetrics, type ConsumerLag, type ScrapeProviders } from './floe-metrics.ts';
export { instrumentCoordinationStore, instrumentObjectStore } from './instrumented-stores.ts';
