import { ConditionFailedError, type CoordinationStore } from '@floe/coordination';
import { LogError } from './errors.ts';

// Producer ids come from one counter item (pk "producer-ids", sk "next", attribute next, with a
// version for compare-and-swap). A node takes a block of ids at a time, so the counter is
// written once per `blockSize` InitProducerId calls, not once per call.

const BLOCK_SIZE = 1000;
const MAX_ATTEMPTS = 20;

export class ProducerIdAllocator {
  private readonly store: CoordinationStore;
  private readonly blockSize: number;
  private next = 0;
  private end = 0;
  private refill: Promise<void> | undefined;

  constructor(store: CoordinationStore, blockSize = BLOCK_SIZE) {
    this.store = store;
    this.blockSize = blockSize;
  }

  /** A producer id no other call, on any node, has been or will be given. */
  async allocate(): Promise<number> {
    while (this.next >= this.end) {
      this.refill ??= this.takeBlock().finally(() => {
        this.refill = undefined;
      });
      await this.refill;
    }
    return this.next++;
  }

  private async takeBlock(): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const item = await this.store.get('producer-ids', 'next', { consistent: true });
      const start = (item?.next as number | undefined) ?? 0;
      const version = (item?.version as number | undefined) ?? 0;
      try {
        await this.store.put(
          { pk: 'producer-ids', sk: 'next', next: start + this.blockSize, version: version + 1 },
          item ? { version } : { absent: true },
        );
        this.next = start;
        this.end = start + this.blockSize;
        return;
      } catch (err) {
        if (!(err instanceof ConditionFailedError)) throw err;
      }
    }
    throw new LogError('unavailable', 'could not take a block of producer ids: too much contention');
  }
}
