// A load balancer for tests of load-balancer mode: a TCP proxy on loopback.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP round-robin proxy on loopback: each new connection goes to the next backend. */
export class RoundRobinProxy {
  readonly server: Server;
  backends: number[] = [];
  /** Connections per backend port. */
  readonly landed = new Map<number, number>();
  private next = 0;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((client) => {
      const port = this.backends[this.next++ % this.backends.length]!;
      this.landed.set(port, (this.landed.get(port) ?? 0) + 1);
      const upstream = connect(port, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
