// The node's logger: JSON lines with level, time and msg; levels; the pretty format; redaction of
// known secret fields; masking of the configuration printed at start-up.
import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { createLogger, type LogSettings } from '../../src/logging.ts';
import { isSecretName, maskSecrets, REDACTED, relevantEnvironment } from '../../src/secrets.ts';

/** A logger writing into an array of lines. */
function capture(settings: LogSettings = { logLevel: 'info', logFormat: 'json' }) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return { logger: createLogger(settings, sink), lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the node logger', () => {
  it('writes one JSON object a line, with a level name, an ISO time and msg; bindings of children included', () => {
    const { logger, json } = capture();
    logger.child({ requestId: '3-9' }).warn({ topic: 't', big: 12n, error: new Error('boom') }, 'something');
    const [line] = json();
    expect(line).toMatchObject({ level: 'warn', msg: 'something', requestId: '3-9', topic: 't', big: 12, error: { type: 'Error', message: 'boom' } });
    expect(new Date(line!.time as string).toISOString()).toBe(line!.time);
  });

  it('drops lines below the level', () => {
    const { logger, json } = capture({ logLevel: 'warn', logFormat: 'json' });
    logger.debug({}, 'd');
    logger.info({}, 'i');
    logger.error({}, 'e');
    expect(json().map((l) => l.msg)).toEqual(['e']);
  });

  it('redacts known secret fields, at the top and one level down', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        authorization: 'Bearer abc',
        headers: { authorization: 'Basic xyz', cookie: 'session=s3cr3t' },
        credentials: { accessKeyId: 'AKIA', secretAccessKey: 'very-secret' },
        aws: { secretAccessKey: 'also-secret', sessionToken: 'tok-123' },
        password: 'hunter2',
      },
      'with secrets',
    );
    const text = lines.join('\n');
    for (const secret of ['Bearer abc', 'Basic xyz', 's3cr3t', 'very-secret', 'also-secret', 'tok-123', 'hunter2']) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0]!)).toMatchObject({ authorization: REDACTED, headers: { authorization: REDACTED }, password: REDACTED });
  });

  it('writes readable lines in the pretty format', () => {
    const { logger, lines } = capture({ logLevel: 'info', logFormat: 'pretty' });
    logger.info({ requestId: '1-2' }, 'hello there');
    expect(lines[0]).toMatch(/INFO.*hello there/);
    expect(lines.join('\n')).toMatch(/requestId: "1-2"/);
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });
});

describe('masking the printed configuration', () => {
  it('masks secret-named values at any depth and credentials in URLs, and keeps the rest', () => {
    expect(
      maskSecrets({
        s3Endpoint: 'https://user:pa55@minio.local:9000/',
        plain: 'http://minio.local:9000/',
        signed: 'https://b.s3.amazonaws.com/k?X-Amz-Signature=abc&X-Amz-Credential=AKIA%2F&part=1',
        nested: { deeper: { dbPassword: 'pw', apiToken: 't', name: 'ok' } },
        list: ['postgres://a:b@h/db'],
        port: 9092,
        empty: '',
      }),
    ).toEqual({
      s3Endpoint: `https://${REDACTED}@minio.local:9000/`,
      plain: 'http://minio.local:9000/',
      signed: `https://b.s3.amazonaws.com/k?X-Amz-Signature=${REDACTED}&X-Amz-Credential=${REDACTED}&part=1`,
      nested: { deeper: { dbPassword: REDACTED, apiToken: REDACTED, name: 'ok' } },
      list: [`postgres://${REDACTED}@h/db`],
      port: 9092,
      empty: '',
    });
  });

  it('tells secret names from settings that merely mention auth', () => {
    for (const name of ['authorization', 'Authorization', 'proxyAuth', 'basic_auth', 'FLOE_USER_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'FLOE_ADMIN_TOKEN']) expect([name, isSecretName(name)]).toEqual([name, true]);
    for (const name of ['FLOE_DOOR_AUTH', 'doorAuth', 'FLOE_TLS_CLIENT_AUTH', 'FLOE_AUTHORIZER', 'FLOE_AUDIT_LOG']) expect([name, isSecretName(name)]).toEqual([name, false]);
  });

  it('prints the FLOE_ and AWS_ variables with the secret ones masked', () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalr-secret',
      AWS_SESSION_TOKEN: 'FwoG-token',
      AWS_REGION: 'eu-west-1',
      FLOE_S3_ENDPOINT: 'http://k:s@127.0.0.1:9000',
      HOME: '/root',
    };
    expect(relevantEnvironment(env)).toEqual({
      AWS_ACCESS_KEY_ID: REDACTED,
      AWS_REGION: 'eu-west-1',
      AWS_SECRET_ACCESS_KEY: REDACTED,
      AWS_SESSION_TOKEN: REDACTED,
      FLOE_S3_ENDPOINT: `http://${REDACTED}@127.0.0.1:9000`,
    });
  });

  it('the whole start-up configuration, masked, holds no secret passed in a URL', () => {
    const config = loadConfig(['--s3-endpoint', 'http://key:the-secret@127.0.0.1:9000'], {}, '/tmp');
    expect(JSON.stringify(maskSecrets(config))).not.toContain('the-secret');
  });
});
