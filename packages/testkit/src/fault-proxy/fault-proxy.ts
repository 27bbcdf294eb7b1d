// An HTTP proxy on loopback between Floe and S3 (MinIO) or DynamoDB (DynamoDB Local) that
// forwards requests unchanged (the Host header too, so SigV4 signatures hold) and injects the
// faults its rules pick: error answers, resets, latency, and answers lost after the server
// applied the request.
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { classifyRequest, type RequestClass } from './classify.ts';
import { faultResponse } from './responses.ts';
import { FAULT_KINDS, FaultRules, type FaultKind, type FaultRule } from './rules.ts';

export interface FaultProxyOptions {
  /** Where requests go, e.g. http://127.0.0.1:9000. */
  upstream: string;
  /** Seeds the draw that decides which requests meet a fault. */
  seed: number;
  /** Listen port on 127.0.0.1 (0: any). */
  port?: number;
}

export interface FaultProxyStats {
  /** Requests seen, by operation. */
  requests: Record<string, number>;
  /** Faults injected, by kind. */
  injected: Record<FaultKind, number>;
  /** Faults injected, by `kind:operation`. */
  injectedByOp: Record<string, number>;
  /** Requests the upstream refused or dropped (it was down). */
  upstreamErrors: number;
}

export class FaultProxy {
  readonly rules: FaultRules;
  private readonly upstream: URL;
  private readonly server: Server;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly sockets = new Set<Socket>();
  private readonly s: FaultProxyStats = {
    requests: {},
    injected: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    injectedByOp: {},
    upstreamErrors: 0,
  };
  private nextId = 0;
  private readonly wantedPort: number;

  constructor(opts: FaultProxyOptions) {
    this.upstream = new URL(opts.upstream);
    this.rules = new FaultRules(opts.seed);
    this.wantedPort = opts.port ?? 0;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.wantedPort, '127.0.0.1', () => resolve());
    });
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Replaces the rules in force; `[]` heals. */
  setRules(rules: readonly FaultRule[]): void {
    this.rules.set(rules);
  }

  stats(): FaultProxyStats {
    return structuredClone(this.s);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private count(kind: FaultKind, req: RequestClass): void {
    this.s.injected[kind]++;
    const k = `${kind}:${req.op}`;
    this.s.injectedByOp[k] = (this.s.injectedByOp[k] ?? 0) + 1;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cls = classifyRequest(req.method ?? 'GET', req.url ?? '/', req.headers);
    this.s.requests[cls.op] = (this.s.requests[cls.op] ?? 0) + 1;
    const rule = this.rules.pick(cls);
    if (!rule) return this.forward(req, res, false);
    this.count(rule.fault, cls);
    switch (rule.fault) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'latency':
        await new Promise((r) => setTimeout(r, rule.latencyMs));
        return this.forward(req, res, false);
      case 'timeout-after-success':
        return this.forward(req, res, true);
      default: {
        const answer = faultResponse(cls.service, rule.fault, `floe-fault-${this.nextId++}`);
        if (!answer) return this.forward(req, res, false);
        // Read the request body first, as a server would, so the client is not cut off mid-send.
        req.resume();
        await new Promise((r) => req.once('end', r));
        const body = req.method === 'HEAD' ? '' : answer.body;
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      }
    }
  }

  /**
   * Sends the request upstream as it came. With `dropAnswer`, waits for the whole answer (so the
   * server has applied the request) and then resets the client's connection instead.
   */
  private forward(req: IncomingMessage, res: ServerResponse, dropAnswer: boolean): void {
    const up = httpRequest(
      {
        protocol: this.upstream.protocol,
        hostname: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.agent,
      },
      (answer) => {
        if (dropAnswer) {
          answer.resume();
          answer.once('end', () => req.socket.destroy());
          answer.once('error', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
        answer.once('error', () => req.socket.destroy());
      },
    );
    up.once('error', () => {
      // The server is down or dropped us: the client sees its connection dropped too.
      this.s.upstreamErrors++;
      req.socket.destroy();
    });
    req.pipe(up);
    req.once('error', () => up.destroy());
  }
}
