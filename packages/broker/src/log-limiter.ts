// A token bucket for log lines that clients can cause at will (malformed requests, unknown APIs):
// one hostile client must not be able to fill the node's log or spend its CPU on logging. Lines
// over the rate are counted, and the next line that passes carries how many were left out.

export class LogLimiter {
  private tokens: number;
  private last: number;
  private suppressed = 0;
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(perSecond = 10, burst = 50, now: () => number = Date.now) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  /**
   * Whether a line may be written now; when it may, `suppressed` is how many were dropped since
   * the last one written (0 if none).
   */
  take(): { ok: true; suppressed: number } | { ok: false } {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) {
      this.suppressed++;
      return { ok: false };
    }
    this.tokens -= 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { ok: true, suppressed };
  }
}
