import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('defaults to the embedded store under the working directory and loopback listeners', () => {
    const c = loadConfig([], {}, '/w');
    expect(c.objectStore).toBe('file:///w/.floe/objects');
    expect(c.metadata).toBe('/w/.floe/metadata');
    expect(c.kafkaListen).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(c.httpListen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.grpcListen).toEqual({ host: '127.0.0.1', port: 50051 });
    expect(c.advertisedListener).toBeUndefined();
  });

  it('takes flags over environment variables', () => {
    const env = { FLOE_OBJECT_STORE: 's3://env-bucket', FLOE_KAFKA_LISTEN: '127.0.0.1:1000' };
    const c = loadConfig(['--object-store', 's3://flag-bucket/p', '--metadata=dynamodb://floe'], env, '/w');
    expect(c.objectStore).toBe('s3://flag-bucket/p');
    expect(c.metadata).toBe('dynamodb://floe');
    expect(c.kafkaListen.port).toBe(1000);
  });

  it.each([
    [['--object-store', 'http://x'], /FLOE_OBJECT_STORE/],
    [['--metadata', 'redis://x'], /FLOE_METADATA/],
    [['--metadata', 'dynamodb://a'], /table name/],
    [['--kafka-listen', '127.0.0.1:70000'], /port from 0 to 65535/],
    [['--advertised-listener', 'lb.example:0'], /port from 1 to 65535/],
    [['--kafka-listen', 'nohost'], /host:port/],
    [['--bogus', '1'], /unknown option/],
    [['--grpc-listen'], /needs a value/],
  ])('rejects %j clearly', (argv, message) => {
    expect(() => loadConfig(argv, {}, '/w')).toThrow(ConfigError);
    expect(() => loadConfig(argv, {}, '/w')).toThrow(message);
  });
});
