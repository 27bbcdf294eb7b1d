// gRPC request ids: taken from the client's x-request-id (when acceptable) or made, sent back in
// the response metadata, and on the line logged for the call (debug when it succeeds, warn when
// it fails).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Metadata, status, type ClientUnaryCall, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import type { GrpcLogger } from '../../src/logger.ts';
import { floe, REQUEST_ID_KEY } from '../../src/index.ts';
import { startFixture, type GrpcFixture } from '../support/grpc-fixture.ts';

interface Line {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

function captureLogger(lines: Line[], bindings: Record<string, unknown> = {}): GrpcLogger {
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, message, fields: { ...bindings, ...fields } });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => captureLogger(lines, { ...bindings, ...more }) };
}

interface Outcome {
  err: ServiceError | null;
  /** x-request-id of the response headers, else of the trailers. */
  echoed: string | undefined;
}

describe('gRPC request ids', () => {
  let f: GrpcFixture;
  const lines: Line[] = [];

  /** A unary Produce with the given x-request-id (none when undefined). */
  const produce = (req: floe.v1.IProduceRequest, id?: string) =>
    new Promise<Outcome>((resolve) => {
      const md = new Metadata();
      if (id !== undefined) md.set(REQUEST_ID_KEY, id);
      let headers: Metadata | undefined;
      let err: ServiceError | null = null;
      // The typed client hides grpc-js's (request, metadata, callback) form, which takes metadata.
      const withMetadata = f.records.produce as unknown as (r: floe.v1.IProduceRequest, m: Metadata, cb: (e: ServiceError | null) => void) => ClientUnaryCall;
      const call = withMetadata.call(f.records, req, md, (e) => (err = e));
      call.on('metadata', (m: Metadata) => (headers = m));
      call.on('status', (s: StatusObject) => {
        const value = headers?.get(REQUEST_ID_KEY)[0] ?? s.metadata.get(REQUEST_ID_KEY)[0];
        // The callback runs before 'status'; let it settle first.
        setImmediate(() => resolve({ err, echoed: typeof value === 'string' ? value : undefined }));
      });
    });
  const linesOf = (id: string) => lines.filter((l) => l.fields.requestId === id);

  beforeAll(async () => {
    f = await startFixture({ logger: captureLogger(lines) });
    await f.log.topics.create('ids', 1, {});
  });
  afterAll(async () => {
    await f.close();
  });

  it('echoes the client id of a successful call and logs the call at debug with it', async () => {
    const r = await produce({ topic: 'ids', partition: 0, records: [{ value: Buffer.from('v') }] }, 'client-id-1');
    expect(r.err).toBeNull();
    expect(r.echoed).toBe('client-id-1');
    expect(linesOf('client-id-1')).toEqual([
      { level: 'debug', message: 'gRPC call ended', fields: expect.objectContaining({ method: '/floe.v1.Records/Produce', code: 'OK', peer: expect.any(String) }) },
    ]);
  });

  it('makes an id when the client sends none, or one too long or with odd characters', async () => {
    const req = { topic: 'ids', partition: 0, records: [{ value: Buffer.from('v') }] };
    for (const sent of [undefined, 'x'.repeat(129), 'two words', 'semi;colon']) {
      const r = await produce(req, sent);
      expect(r.err).toBeNull();
      expect(r.echoed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(linesOf(r.echoed!)).toHaveLength(1);
    }
    expect(lines.some((l) => String(l.fields.requestId).startsWith('xxxx'))).toBe(false);
  });

  it('a failed call answers with the id in its trailers and is logged at warn with it, its status and message', async () => {
    const r = await produce({ topic: 'no-such-topic', partition: 0, records: [{ value: Buffer.from('v') }] }, 'req-404');
    expect(r.err?.code).toBe(status.NOT_FOUND);
    expect(r.echoed).toBe('req-404');
    expect(linesOf('req-404')).toEqual([
      {
        level: 'warn',
        message: 'gRPC call failed',
        fields: expect.objectContaining({ method: '/floe.v1.Records/Produce', code: 'NOT_FOUND', details: expect.stringMatching(/no-such-topic/) }),
      },
    ]);
  });
});
