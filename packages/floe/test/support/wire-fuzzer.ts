// Random and mutated request frames at a node's Kafka port, from several connections at once.
// The frames come from the codec fuzzer's corpus (real requests of every API and version) and
// mutations (bit flips, truncation, huge or negative sizes and counts, varint bombs, splices,
// garbage); a connection the node closes is opened again. Bounded in frames and in time.
import { connect, type Socket } from 'node:net';
import { buildCorpus, mutate, prng } from '../../../protocol/bench/fuzz-frames.ts';

export interface WireFuzzResult {
  /** Frames written, each after the node answered the previous one or closed the connection. */
  frames: number;
  /** Frames the node answered. */
  answered: number;
  /** Connections opened, and those the node closed (a malformed frame, an unknown API, ...). */
  connections: number;
  closedByNode: number;
  /** Frames that got neither an answer nor a close within the wait (acks=0 produce, say). */
  silent: number;
  seconds: number;
}

export interface WireFuzzOptions {
  host: string;
  port: number;
  frames: number;
  connections: number;
  seed: number;
  /** Stop by then even if fewer frames were written. */
  deadlineMs: number;
  /** How long to wait for an answer before the next frame. Default 200 ms. */
  answerWaitMs?: number;
}

/**
 * Runs the fuzz; resolves with counts once `frames` were written or the deadline passed. Each
 * connection sends one frame at a time and waits for its answer (or the close), so every frame
 * counted is one the node read.
 */
export async function fuzzPort(o: WireFuzzOptions): Promise<WireFuzzResult> {
  const corpus = buildCorpus(o.seed, 2);
  const rnd = prng(o.seed);
  const started = Date.now();
  const until = started + o.deadlineMs;
  const wait = o.answerWaitMs ?? 200;
  const r = { frames: 0, answered: 0, connections: 0, closedByNode: 0, silent: 0 };
  const more = () => r.frames < o.frames && Date.now() < until;

  const worker = async (): Promise<void> => {
    while (more()) {
      r.connections++;
      const socket: Socket = connect({ host: o.host, port: o.port });
      socket.setNoDelay(true);
      let open = true;
      let ours = false;
      let wake: (() => void) | undefined;
      let got = 0;
      socket.on('data', (d: Buffer) => {
        got += d.length;
        wake?.();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        open = false;
        wake?.();
      });
      await new Promise<void>((resolve) => {
        socket.once('connect', () => resolve());
        socket.once('close', () => resolve());
      });
      while (open && more()) {
        const frame = mutate(corpus[Math.floor(rnd() * corpus.length)]!, corpus, rnd);
        // Mostly a size prefix that matches, so the node reads the frame whole at once; else the
        // node rightly waits for the bytes it was promised (a silent frame, then a new connection).
        if (frame.length >= 4 && rnd() < 0.9) frame.writeInt32BE(frame.length - 4, 0);
        const before = got;
        r.frames++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            r.silent++;
            ours = true;
            socket.destroy();
            resolve();
          }, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
          socket.write(frame);
        });
        wake = undefined;
        if (got > before) r.answered++;
      }
      if (open) socket.destroy();
      else if (!ours) r.closedByNode++;
    }
  };
  await Promise.all(Array.from({ length: o.connections }, worker));
  return { ...r, seconds: (Date.now() - started) / 1000 };
}
