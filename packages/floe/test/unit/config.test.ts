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
    expect(c.loadBalancer).toBeUndefined();
    expect(c.nodeId).toBeUndefined(); // the lowest free id in the cluster
    expect(c.rack).toBeUndefined();
    expect([c.nodeHeartbeatMs, c.nodeLeaseMs]).toEqual([1000, 5000]);
  });

  it('reads the cluster settings: node id, rack, heartbeat, lease, load balancer', () => {
    const c = loadConfig(['--node-id', '7', '--node-heartbeat-ms=200'], { FLOE_RACK: 'eu-west-1a', FLOE_NODE_LEASE_MS: '1000', FLOE_LOAD_BALANCER: 'kafka.example.com:9092' }, '/w');
    expect(c.nodeId).toBe(7);
    expect(c.rack).toBe('eu-west-1a');
    expect([c.nodeHeartbeatMs, c.nodeLeaseMs]).toEqual([200, 1000]);
    expect(c.loadBalancer).toEqual({ host: 'kafka.example.com', port: 9092 });
    expect(loadConfig([], { FLOE_NODE_ID: '0' }, '/w').nodeId).toBe(0);
    expect(loadConfig(['--advertised-listener', 'pod-1.floe:9092'], {}, '/w').advertisedListener).toEqual({ host: 'pod-1.floe', port: 9092 });
  });

  it('reads the log settings: level, format, slow-request threshold; refuses unknown values', () => {
    const d = loadConfig([], {}, '/w');
    expect([d.logLevel, d.logFormat, d.slowRequestMs]).toEqual(['info', 'json', 2000]);
    const c = loadConfig(['--log-format', 'pretty'], { FLOE_LOG_LEVEL: 'debug', FLOE_SLOW_REQUEST_MS: '500' }, '/w');
    expect([c.logLevel, c.logFormat, c.slowRequestMs]).toEqual(['debug', 'pretty', 500]);
    expect(() => loadConfig([], { FLOE_LOG_LEVEL: 'verbose' }, '/w')).toThrow(/FLOE_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent/);
    expect(() => loadConfig(['--log-format', 'xml'], {}, '/w')).toThrow(ConfigError);
  });

  it('reads the certificate principal mapping rules (Kafka\'s ssl.principal.mapping.rules), refusing invalid ones at load', () => {
    expect(loadConfig([], {}, '/w').tlsPrincipalMappingRules).toBe('DEFAULT');
    const rules = 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L,DEFAULT';
    expect(loadConfig(['--tls-principal-mapping-rules', rules], {}, '/w').tlsPrincipalMappingRules).toBe(rules);
    expect(loadConfig([], { FLOE_TLS_PRINCIPAL_MAPPING_RULES: rules }, '/w').tlsPrincipalMappingRules).toBe(rules);
    expect(() => loadConfig([], { FLOE_TLS_PRINCIPAL_MAPPING_RULES: 'RULE:^CN=(.*?)$/$1/X' }, '/w')).toThrow(
      /^FLOE_TLS_PRINCIPAL_MAPPING_RULES: invalid rule "RULE:\^CN=\(\.\*\?\)\$\/\$1\/X": expected DEFAULT or RULE:pattern\/replacement\//,
    );
    expect(() => loadConfig([], { FLOE_TLS_PRINCIPAL_MAPPING_RULES: 'RULE:(/x/' }, '/w')).toThrow(ConfigError);
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
    [['--load-balancer', 'lb:9092', '--advertised-listener', 'pod:9092'], /exclude each other/],
    [['--load-balancer', 'lb'], /FLOE_LOAD_BALANCER/],
    [['--node-id', '-1'], /FLOE_NODE_ID/],
    [['--node-id', 'auto'], /FLOE_NODE_ID/],
    [['--node-heartbeat-ms', '1000', '--node-lease-ms', '1500'], /at least twice/],
    [['--rack', 'has space'], /FLOE_RACK/],
    [['--kafka-listen', 'TLS://127.0.0.1:9093'], /unknown security protocol "TLS"/],
    [['--kafka-listen', 'PLAINTEXT://a:1,PLAINTEXT://a:2'], /used twice/],
    [['--kafka-listen', 'SSL://a:1'], /FLOE_TLS_CERT_FILE/],
    [['--kafka-listen', 'A:PLAINTEXT://a:1', '--advertised-listener', 'B://b:1'], /"B" is not a listener/],
    [['--kafka-listen', 'SASL_PLAINTEXT://a:1', '--sasl-mechanisms', 'GSSAPI'], /unknown mechanism "GSSAPI"/],
    [['--sasl-mechanisms', 'OAUTHBEARER'], /FLOE_SASL_OAUTHBEARER_JWKS/],
    [['--tls-client-auth', 'required'], /FLOE_TLS_CA_FILE/],
  ])('rejects %j clearly', (argv, message) => {
    expect(() => loadConfig(argv, {}, '/w')).toThrow(ConfigError);
    expect(() => loadConfig(argv, {}, '/w')).toThrow(message);
  });

  it('reads several listeners with their protocols, names and advertised addresses', () => {
    const c = loadConfig(
      [
        '--kafka-listen', 'LOCAL:PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093',
        '--advertised-listener', 'SASL_SSL://kafka.example.com:443',
        '--tls-cert-file', '/c.pem', '--tls-key-file', '/k.pem',
      ],
      {},
      '/w',
    );
    expect(c.listeners).toEqual([
      { name: 'LOCAL', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
      { name: 'SASL_SSL', protocol: 'SASL_SSL', host: '0.0.0.0', port: 9093 },
    ]);
    expect(c.kafkaListen).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(c.advertisedListeners).toEqual({ SASL_SSL: { host: 'kafka.example.com', port: 443 } });
    expect(c.advertisedListener).toBeUndefined();
    expect(c.saslMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    // A bare address stays one PLAINTEXT listener.
    expect(loadConfig(['--kafka-listen', '127.0.0.1:9092'], {}, '/w').listeners).toEqual([{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
  });

  it('reads the doors\' TLS and authentication settings, refusing TLS without a certificate and unknown values', () => {
    const d = loadConfig([], {}, '/w');
    expect([d.grpcTls, d.httpTls, d.doorAuth]).toEqual(['off', 'off', 'anonymous']);
    const files = { FLOE_TLS_CERT_FILE: '/c.pem', FLOE_TLS_KEY_FILE: '/k.pem' };
    const c = loadConfig(['--grpc-tls', 'on', '--door-auth=required'], { ...files, FLOE_HTTP_TLS: 'on' }, '/w');
    expect([c.grpcTls, c.httpTls, c.doorAuth]).toEqual(['on', 'on', 'required']);
    expect(() => loadConfig([], { FLOE_GRPC_TLS: 'on' }, '/w')).toThrow(new ConfigError('FLOE_GRPC_TLS=on needs FLOE_TLS_CERT_FILE and FLOE_TLS_KEY_FILE'));
    expect(() => loadConfig(['--http-tls', 'on'], { FLOE_TLS_CERT_FILE: '/c.pem' }, '/w')).toThrow(new ConfigError('FLOE_HTTP_TLS=on needs FLOE_TLS_CERT_FILE and FLOE_TLS_KEY_FILE'));
    expect(() => loadConfig([], { FLOE_HTTP_TLS: 'true' }, '/w')).toThrow(new ConfigError('FLOE_HTTP_TLS: expected one of off, on, got "true"'));
    expect(() => loadConfig(['--door-auth', 'basic'], {}, '/w')).toThrow(new ConfigError('FLOE_DOOR_AUTH: expected one of anonymous, required, got "basic"'));
    expect(() => loadConfig(['--grpc-tls', 'on', '--tls-client-auth', 'required'], files, '/w')).toThrow(/FLOE_TLS_CLIENT_AUTH needs FLOE_TLS_CA_FILE/);
  });
});
