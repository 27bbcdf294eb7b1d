// CPU time and memory of the processes under test, read from /proc (Linux): what a system costs
// in CPU seconds per MB moved and its peak resident memory while a workload runs.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of one process, in seconds; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident set size of one process in bytes; 0 once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface ProcessUsage {
  /** CPU seconds all the processes used over the window. */
  cpuSeconds: number;
  /** The highest sum of their RSS seen by the sampler. */
  peakRssBytes: number;
}

/**
 * Samples the processes' summed RSS every `intervalMs` until stopped, and their CPU time between
 * start and stop.
 */
export function trackUsage(pids: readonly number[], intervalMs = 250): { stop(): ProcessUsage } {
  const cpu0 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, pids.reduce((s, p) => s + rssBytes(p), 0));
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { cpuSeconds: pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0, peakRssBytes: peak };
    },
  };
}
