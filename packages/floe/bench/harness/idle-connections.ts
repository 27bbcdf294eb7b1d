// Many idle Kafka client connections: each one opens, sends one ApiVersions request (as every
// client does first), reads the answer, then stays open doing nothing until closed.
import { connect, type Socket } from 'node:net';

/** ApiVersions v0: api key 18, version 0, the correlation id, client id "floe-bench-idle". */
function apiVersionsRequest(correlationId: number): Buffer {
  const clientId = Buffer.from('floe-bench-idle');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(18, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

export class IdleConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdleConnectionError';
  }
}

function openOne(port: number, correlationId: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = 0;
    let expected = -1;
    const timer = setTimeout(() => (socket.destroy(), reject(new IdleConnectionError(`no ApiVersions answer on :${port} within ${timeoutMs} ms`))), timeoutMs);
    socket.once('connect', () => socket.write(apiVersionsRequest(correlationId)));
    socket.on('data', (d: Buffer) => {
      // The answer's size prefix (in the first chunk on loopback) says when it is complete.
      if (expected < 0 && d.length >= 4) expected = d.readInt32BE(0) + 4;
      got += d.length;
      if (expected >= 0 && got >= expected) {
        clearTimeout(timer);
        resolve(socket);
      }
    });
    socket.once('error', (e) => (clearTimeout(timer), reject(e)));
  });
}

/** Opens `count` connections spread round robin over `ports`, `batch` at a time. */
export async function openIdleConnections(ports: readonly number[], count: number, opts: { batch?: number; timeoutMs?: number } = {}): Promise<{ sockets: Socket[]; closeAll(): void }> {
  const sockets: Socket[] = [];
  const closeAll = () => {
    for (const s of sockets) s.destroy();
  };
  const batch = opts.batch ?? 100;
  try {
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      sockets.push(...(await Promise.all(Array.from({ length: n }, (_, j) => openOne(ports[(i + j) % ports.length]!, i + j, opts.timeoutMs ?? 10_000)))));
    }
  } catch (err) {
    closeAll();
    throw err;
  }
  // Keep them open but unread; an error (the server closing one) only marks it.
  for (const s of sockets) s.on('error', () => undefined);
  return { sockets, closeAll };
}

/** How many of the sockets are still open. */
export function stillOpen(sockets: readonly Socket[]): number {
  return sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
}
