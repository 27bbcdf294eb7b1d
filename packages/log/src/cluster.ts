import { randomBytes } from 'node:crypto';
import { ConditionFailedError, type CoordinationStore } from '@floe/coordination';

/** Facts fixed when the cluster is created: its id, the journal shard count, the void window. */
export interface ClusterInfo {
  clusterId: string;
  shardCount: number;
  voidWindowMs: number;
  created: number;
}

/**
 * Reads the cluster item (pk "cluster", sk "meta"), creating it on first start. Every node of a
 * cluster then agrees on the shard count, whatever its own configuration says.
 */
export async function loadOrCreateCluster(
  store: CoordinationStore,
  defaults: { shardCount: number; voidWindowMs: number },
): Promise<ClusterInfo> {
  const read = async () => {
    const item = await store.get('cluster', 'meta', { consistent: true });
    return item
      ? {
          clusterId: item.clusterId as string,
          shardCount: item.shardCount as number,
          voidWindowMs: item.voidWindowMs as number,
          created: item.created as number,
        }
      : undefined;
  };
  const existing = await read();
  if (existing) return existing;
  const info: ClusterInfo = { clusterId: randomBytes(16).toString('base64url'), ...defaults, created: Date.now() };
  try {
    await store.put({ pk: 'cluster', sk: 'meta', ...info }, { absent: true });
    return info;
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
    return (await read())!;
  }
}
