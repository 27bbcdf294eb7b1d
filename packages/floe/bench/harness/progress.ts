// The harness's progress display on stderr: one line per step with the time since the start; on
// a terminal, a ticking elapsed-time line while a step runs.

export class Progress {
  private readonly t0 = performance.now();
  private stepStart = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly tty = process.stderr.isTTY === true;

  private clock(ms: number): string {
    const s = Math.floor(ms / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  }

  step(scope: string, message: string): void {
    this.stopTicker();
    this.stepStart = performance.now();
    process.stderr.write(`[${this.clock(performance.now() - this.t0)}] ${scope}: ${message}\n`);
    if (this.tty) {
      this.timer = setInterval(() => process.stderr.write(`\r  ... ${this.clock(performance.now() - this.stepStart)}`), 1000);
      this.timer.unref();
    }
  }

  done(message: string): void {
    this.stopTicker();
    process.stderr.write(`[${this.clock(performance.now() - this.t0)}] ${message}\n`);
  }

  private stopTicker(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      process.stderr.write('\r\x1b[K');
    }
  }
}
