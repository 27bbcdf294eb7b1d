// Failed logins per client address: each failure answers later than the one before (100 ms,
// doubling, up to 5 s), so guessing passwords from one address is slow. Forgotten after a quiet
// minute; bounded in the number of addresses kept.

export interface FailedLoginOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  forgetAfterMs?: number;
  maxAddresses?: number;
}

export class FailedLogins {
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxAddresses: number;
  private readonly byAddress = new Map<string, { failures: number; lastAt: number }>();

  constructor(options: FailedLoginOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 60_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Records a failure from `address` (an IP) and returns how long to wait before answering it. */
  fail(address: string, now = Date.now()): number {
    const prev = this.byAddress.get(address);
    const failures = prev && now - prev.lastAt < this.forgetAfterMs ? prev.failures + 1 : 1;
    this.byAddress.delete(address);
    this.byAddress.set(address, { failures, lastAt: now });
    while (this.byAddress.size > this.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!);
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(failures - 1, 20));
  }

  /** Failures counted for `address` now. */
  failures(address: string, now = Date.now()): number {
    const e = this.byAddress.get(address);
    return e && now - e.lastAt < this.forgetAfterMs ? e.failures : 0;
  }
}
