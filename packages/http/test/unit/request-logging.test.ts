// HTTP request ids: the client's x-request-id (when acceptable) or a new one, echoed in the
// response header and on the one line logged per request, at the level its outcome deserves.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../../src/http-server.ts';
import type { HttpLogger } from '../../src/request-logging.ts';

interface Line {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('HTTP request ids and request lines', () => {
  const lines: Line[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, message, fields });
  const logger: HttpLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  let app: FastifyInstance;
  let scrapeFails = false;

  beforeAll(async () => {
    const metrics = async () => {
      if (scrapeFails) throw new Error('registry broke');
      return { contentType: 'text/plain', body: 'floe_up 1\n' };
    };
    app = await buildHttpServer({ host: '127.0.0.1', port: 0, readiness: {}, metrics, logger });
  });
  afterAll(async () => {
    await app.close();
  });

  test('echoes the client id, and logs a successful request at debug with it', async () => {
    const r = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-request-id']).toBe('abc-123');
    expect(lines.filter((l) => l.fields.requestId === 'abc-123')).toEqual([
      { level: 'debug', message: 'HTTP request', fields: expect.objectContaining({ method: 'GET', url: '/healthz', status: 200 }) },
    ]);
  });

  test('makes an id when none is sent, or one too long or with odd characters', async () => {
    for (const sent of [undefined, 'y'.repeat(129), 'has space', '<script>']) {
      const r = await app.inject({ method: 'GET', url: '/healthz', headers: sent === undefined ? {} : { 'x-request-id': sent } });
      expect(r.headers['x-request-id']).toMatch(UUID);
      expect(lines.filter((l) => l.fields.requestId === r.headers['x-request-id'])).toHaveLength(1);
    }
  });

  test('a refused request is logged at warn and a failed one at error, with the id and the error', async () => {
    const missing = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'r-404' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-request-id']).toBe('r-404');
    expect(lines.find((l) => l.fields.requestId === 'r-404')).toMatchObject({ level: 'warn', fields: { status: 404, url: '/nowhere' } });

    scrapeFails = true;
    const failed = await app.inject({ method: 'GET', url: '/metrics', headers: { 'x-request-id': 'r-500' } });
    scrapeFails = false;
    expect(failed.statusCode).toBe(500);
    expect(failed.headers['x-request-id']).toBe('r-500');
    expect(lines.find((l) => l.fields.requestId === 'r-500')).toMatchObject({ level: 'error', fields: { status: 500, error: 'registry broke' } });
    expect(lines.filter((l) => l.level === 'info')).toEqual([]);
  });
});
