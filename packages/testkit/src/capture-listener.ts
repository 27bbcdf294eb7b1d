import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** One size-prefixed request frame as a client sent it (without the 4-byte size). */
export interface CapturedFrame {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  frame: Buffer;
}

export interface CaptureListener {
  port: number;
  frames: CapturedFrame[];
  /** Resolves with the first frame whose api key matches, or rejects after `timeoutMs`. */
  waitFor(apiKey: number, timeoutMs: number): Promise<CapturedFrame>;
  close(): Promise<void>;
}

/** Request header fields common to every header version: api key, version, correlation id, client id. */
function peekHeader(frame: Buffer): Omit<CapturedFrame, 'frame'> {
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  const len = frame.readInt16BE(8);
  const clientId = len < 0 ? null : frame.toString('utf8', 10, 10 + len);
  return { apiKey, apiVersion, correlationId, clientId };
}

/**
 * A TCP listener on 127.0.0.1 that records the request frames Kafka clients send it and answers
 * nothing (or, with `respond`, whatever the callback returns, a complete size-prefixed frame).
 * Used to capture real clients' bytes. Frames above 16 MiB close the connection.
 */
export async function startCaptureListener(
  respond?: (f: CapturedFrame) => Buffer | undefined,
): Promise<CaptureListener> {
  const frames: CapturedFrame[] = [];
  const waiters: { apiKey: number; resolve: (f: CapturedFrame) => void }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (size < 10 || size > 16 * 1024 * 1024) return void socket.destroy();
        if (pending.length < 4 + size) return;
        const frame = Buffer.from(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        const captured = { ...peekHeader(frame), frame };
        frames.push(captured);
        for (const w of waiters.filter((w) => w.apiKey === captured.apiKey)) w.resolve(captured);
        const answer = respond?.(captured);
        if (answer) socket.write(answer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    frames,
    waitFor(apiKey, timeoutMs) {
      const seen = frames.find((f) => f.apiKey === apiKey);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no request with api key ${apiKey} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({ apiKey, resolve: (f) => (clearTimeout(timer), resolve(f)) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
