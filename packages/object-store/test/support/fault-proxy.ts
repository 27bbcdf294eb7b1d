// A small HTTP proxy on 127.0.0.1 in front of an S3 server that injects the faults S3 clients
// meet: throttling and server errors, dropped connections, and answers lost after the server
// applied the request. Requests pass through unchanged (the Host header too, so SigV4
// signatures still verify), each answer is buffered whole.
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Answer with this status and an S3 error body of this code; the server never sees it. */
  | { kind: 'status'; status: number; code: string }
  /** Close the connection without an answer; the server never sees the request. */
  | { kind: 'drop' }
  /** Forward the request, then close the connection instead of passing the answer on. */
  | { kind: 'drop-after-forward' }
  /** Forward the request, then never answer: the client's timeout has to end it. */
  | { kind: 'hang-after-forward' };

export interface SeenRequest {
  method: string;
  url: string;
  /** The fault injected, if any. */
  fault?: Fault['kind'];
  /** The status the server answered, for forwarded requests. */
  status?: number;
}

export type RequestMatcher = (req: { method: string; url: string }) => boolean;

export const isPut: RequestMatcher = (r) => r.method === 'PUT';
export const isHead: RequestMatcher = (r) => r.method === 'HEAD';
export const isList: RequestMatcher = (r) => r.method === 'GET' && r.url.includes('list-type=2');
export const isObjectGet: RequestMatcher = (r) => r.method === 'GET' && !r.url.includes('list-type=2');

export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  private readonly faults: { fault: Fault; match: RequestMatcher; remaining: number }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAlive: true });
  private readonly target: URL;
  private readonly server: Server;

  private constructor(target: string) {
    this.target = new URL(target);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => req.socket.destroy());
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Injects `fault` into the next `times` requests that `match` (default: every request). */
  inject(fault: Fault, opts: { times?: number; match?: RequestMatcher } = {}): void {
    this.faults.push({ fault, match: opts.match ?? (() => true), remaining: opts.times ?? 1 });
  }

  /** Forgets injected faults and seen requests. */
  reset(): void {
    this.faults.length = 0;
    this.seen.length = 0;
  }

  /** Requests seen that `match`. */
  requests(match: RequestMatcher): SeenRequest[] {
    return this.seen.filter(match);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const seen: SeenRequest = { method, url };
    this.seen.push(seen);
    const injected = this.faults.find((f) => f.remaining > 0 && f.match({ method, url }));
    const fault = injected?.fault;
    if (injected) {
      injected.remaining--;
      seen.fault = injected.fault.kind;
    }

    if (fault?.kind === 'status') {
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?>' +
        `<Error><Code>${fault.code}</Code><Message>injected by the test proxy</Message></Error>`;
      res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(method === 'HEAD' ? undefined : xml);
      return;
    }
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }

    const answer = await this.forward(method, url, req.headers, body);
    seen.status = answer.status;
    if (fault?.kind === 'drop-after-forward') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang-after-forward') return; // the socket stays open, silent
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body.length > 0 ? answer.body : undefined);
  }

  private forward(
    method: string,
    url: string,
    headers: IncomingMessage['headers'],
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) {
      // Hop-by-hop headers stay here; none of them is signed.
      if (value === undefined || ['connection', 'keep-alive', 'expect', 'transfer-encoding'].includes(name)) continue;
      out[name] = value;
    }
    if (body.length > 0) out['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const upstream = request(
        {
          host: this.target.hostname,
          port: this.target.port,
          method,
          path: url,
          headers: out,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const back: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value === undefined || ['connection', 'keep-alive', 'transfer-encoding'].includes(name)) continue;
              back[name] = value;
            }
            const data = Buffer.concat(chunks);
            if (back['content-length'] === undefined && method !== 'HEAD') back['content-length'] = String(data.length);
            resolve({ status: res.statusCode ?? 502, headers: back, body: data });
          });
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}
