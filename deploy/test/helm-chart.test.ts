// The Helm chart: helm lint --strict and helm template for every example values file, each
// rendered manifest validated offline against the Kubernetes schemas (kubernetes-validate), and
// the properties a deployment rests on checked in the rendered YAML.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { runTool } from '@floe/testkit';
import { loadConfig, SETTINGS } from '../../packages/floe/src/config.ts';
import { deployTool, KUBERNETES_VERSION } from './tools.ts';

const CHART = fileURLToPath(new URL('../helm/floe', import.meta.url));
const EXAMPLES = ['aws', 'minio-localstack', 'tls-sasl'] as const;
const NAMESPACE = 'streaming';
const RELEASE = 'kafka';
// What Floe's listener drains for (broker.close) plus the heartbeat it waits to be unlisted.
const DRAIN_SECONDS = 30;
const WITHDRAW_SECONDS = 2;
/** Custom resources: no Kubernetes schema exists for them; their fields are checked below instead. */
const CUSTOM_KINDS = new Set(['ServiceMonitor']);

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

const example = (name: string) => join(CHART, 'examples', `${name}.yaml`);

async function helm(args: string[]) {
  return runTool(deployTool('helm'), args, { timeoutMs: 60_000, env: { HELM_CACHE_HOME: tmp, HELM_CONFIG_HOME: tmp, HELM_DATA_HOME: tmp } });
}

async function lint(values: string, ...set: string[]) {
  return helm(['lint', '--strict', '--kube-version', KUBERNETES_VERSION, CHART, '-f', values, ...set.flatMap((s) => ['--set', s])]);
}

async function render(values: string, ...set: string[]): Promise<{ text: string; manifests: Manifest[] }> {
  const r = await helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, '--kube-version', KUBERNETES_VERSION, '-f', values, ...set.flatMap((s) => ['--set', s])]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const manifests = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
  return { text: r.stdout, manifests };
}

async function validate(file: string) {
  return runTool(deployTool('kubernetesValidate'), ['--strict', '-k', KUBERNETES_VERSION, file], { timeoutMs: 120_000 });
}

const tmp = mkdtempSync(join(tmpdir(), 'floe-helm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const of = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);
const one = (ms: Manifest[], kind: string, name?: string) => {
  const found = of(ms, kind).filter((m) => name === undefined || m.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};

/** The environment one container of a Deployment starts with: its ConfigMap, then its own env. */
function podEnv(ms: Manifest[], deployment: Manifest, podIp = '10.1.2.3'): Record<string, string> {
  const container = deployment.spec.template.spec.containers[0];
  const env: Record<string, string> = { POD_IP: podIp };
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, one(ms, 'ConfigMap', from.configMapRef.name).data);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value).replace(/\$\(([A-Z_]+)\)/g, (_: string, v: string) => env[v] ?? '');
  }
  return env;
}

describe('Helm chart', () => {
  test.each(EXAMPLES)('helm lint --strict passes with examples/%s.yaml', async (name) => {
    const r = await lint(example(name));
    expect(r.stdout + r.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  test.each(EXAMPLES)(`examples/%s.yaml renders manifests valid for Kubernetes ${KUBERNETES_VERSION}`, async (name) => {
    const { text, manifests } = await render(example(name));
    const file = join(tmp, `${name}.yaml`);
    writeFileSync(file, text);
    const r = await validate(file);
    expect(r.code).toBe(0);
    const checked = [...r.stdout.matchAll(/passed for resource (\S+)/g)].map((m) => m[1]);
    const builtIn = manifests.filter((m) => !CUSTOM_KINDS.has(m.kind));
    expect(checked).toHaveLength(builtIn.length);
    // Only the custom resources go unvalidated, and they are checked by their own test below.
    const unknown = [...r.stdout.matchAll(/Couldn't find schema for kind (\S+)/g)].map((m) => m[1]);
    expect(unknown.every((k) => CUSTOM_KINDS.has(k!))).toBe(true);
  });

  test('the development backends manifest is valid too', async () => {
    const r = await validate(example('dev-backends'));
    expect(r.stdout).not.toContain('Couldn');
    expect([...r.stdout.matchAll(/passed for resource/g)]).toHaveLength(4);
    expect(r.code).toBe(0);
  });

  test('kubernetes-validate fails a manifest with a misspelt field (the check can fail)', async () => {
    const { manifests } = await render(example('minio-localstack'));
    const d = one(manifests, 'Deployment');
    d.spec.template.spec.containers[0].readinessProbe.httpGet.paht = '/readyz';
    const file = join(tmp, 'broken.json');
    writeFileSync(file, JSON.stringify(d));
    const r = await validate(file);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/paht/);
  });

  test.each(EXAMPLES)('examples/%s.yaml: probes hit /readyz and /healthz on the HTTP listener the node binds', async (name) => {
    const { manifests } = await render(example(name));
    for (const d of of(manifests, 'Deployment')) {
      const c = d.spec.template.spec.containers[0];
      const http = c.ports.find((p: { name: string }) => p.name === 'http');
      expect(`0.0.0.0:${http.containerPort}`).toBe(podEnv(manifests, d).FLOE_HTTP_LISTEN);
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      const kafka = c.ports.find((p: { name: string }) => p.name === 'kafka');
      // A bare address is one PLAINTEXT listener; with TLS or SASL the protocol comes first.
      expect(podEnv(manifests, d).FLOE_KAFKA_LISTEN).toMatch(new RegExp(`^([A-Z_]+://)?0\\.0\\.0\\.0:${kafka.containerPort}$`));
    }
  });

  test.each(EXAMPLES)('examples/%s.yaml: every container runs as non-root, read-only, without privilege escalation', async (name) => {
    const { manifests } = await render(example(name));
    expect(of(manifests, 'Deployment').length).toBeGreaterThan(0);
    for (const d of of(manifests, 'Deployment')) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  test.each(EXAMPLES)('examples/%s.yaml: every setting the chart passes is one Floe reads, and Floe accepts the values', async (name) => {
    const { manifests } = await render(example(name));
    const known = new Set([...SETTINGS.map((s) => s.env), 'AWS_REGION', 'POD_IP']);
    for (const d of of(manifests, 'Deployment')) {
      const env = podEnv(manifests, d);
      expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
      expect(() => loadConfig([], env, '/app')).not.toThrow();
    }
  });

  test('load-balancer mode: every node advertises the address clients are given', async () => {
    const { manifests } = await render(example('aws'));
    const service = one(manifests, 'Service', `${RELEASE}-floe-kafka`);
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports).toEqual([{ name: 'kafka', port: 9092, targetPort: 'kafka', protocol: 'TCP' }]);
    for (const d of of(manifests, 'Deployment')) {
      const config = loadConfig([], podEnv(manifests, d), '/app');
      expect(config.loadBalancer).toEqual({ host: 'kafka.floe.example.com', port: 9092 });
      expect(config.advertisedListener).toBeUndefined();
    }
    expect(of(manifests, 'Service').filter((s) => s.spec.clusterIP === 'None')).toEqual([]);
  });

  test('load-balancer mode without a host advertises the Kafka Service by its cluster DNS name', async () => {
    const { manifests } = await render(example('tls-sasl'), 'addressing.loadBalancer.port=19092');
    const service = one(manifests, 'Service', `${RELEASE}-floe-kafka`);
    expect(service.spec.ports[0].port).toBe(19092);
    const config = loadConfig([], podEnv(manifests, one(manifests, 'Deployment')), '/app');
    expect(config.loadBalancer).toEqual({ host: `${service.metadata.name}.${NAMESPACE}.svc.cluster.local`, port: 19092 });
  });

  test('TLS and SASL: a SASL_SSL listener, the certificate Secret mounted where FLOE_TLS_* point, the SASL settings', async () => {
    const { manifests } = await render(example('tls-sasl'));
    const d = one(manifests, 'Deployment');
    const config = loadConfig([], podEnv(manifests, d), '/app');
    expect(config.listeners).toEqual([{ name: 'SASL_SSL', protocol: 'SASL_SSL', host: '0.0.0.0', port: 9092 }]);
    expect(config.saslMechanisms).toEqual(['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN', 'OAUTHBEARER']);
    expect(config.saslSessionLifetimeMs).toBe(3600000);
    expect(config.jwks).toBe('https://idp.example.com/.well-known/jwks.json');
    const spec = d.spec.template.spec;
    const mount = spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'tls');
    expect(mount).toEqual({ name: 'tls', mountPath: '/etc/floe/tls', readOnly: true });
    expect(config.tlsCertFile).toBe('/etc/floe/tls/tls.crt');
    expect(spec.volumes.find((v: { name: string }) => v.name === 'tls')).toEqual({ name: 'tls', secret: { secretName: 'floe-kafka-tls' } });
    expect(config.clientCertificates).toBe('none');
    // Client certificates: the CA, and the principal mapping rules (Kafka's ssl.principal.mapping.rules).
    const withCerts = (await render(example('tls-sasl'), 'security.tls.clientAuth=required', 'security.tls.principalMappingRules=RULE:^CN=(.*?)\\,OU=Apps.*$/$1/L\\,DEFAULT')).manifests;
    const mtls = loadConfig([], podEnv(withCerts, one(withCerts, 'Deployment')), '/app');
    expect([mtls.clientCertificates, mtls.tlsCaFile, mtls.tlsPrincipalMappingRules]).toEqual(['required', '/etc/floe/tls/ca.crt', 'RULE:^CN=(.*?),OU=Apps.*$/$1/L,DEFAULT']);
    const noSecret = await helm(['template', RELEASE, CHART, '--kube-version', KUBERNETES_VERSION, '-f', example('tls-sasl'), '--set', 'security.tls.secretName=']);
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stdout + noSecret.stderr).toContain('security.tls.secretName');
  });

  test('the doors: gRPC and HTTP TLS from the same Secret (mounted without Kafka TLS), door authentication, HTTPS probes and scrape', async () => {
    const sets = ['security.tls.enabled=false', 'security.sasl.enabled=false', 'security.doors.grpcTls=true', 'security.doors.httpTls=true', 'security.doors.auth=required', 'serviceMonitor.enabled=true'];
    const { manifests } = await render(example('tls-sasl'), ...sets);
    const d = one(manifests, 'Deployment');
    const config = loadConfig([], podEnv(manifests, d), '/app');
    expect(config.listeners[0]!.protocol).toBe('PLAINTEXT');
    expect([config.grpcTls, config.httpTls, config.doorAuth]).toEqual(['on', 'on', 'required']);
    expect([config.tlsCertFile, config.tlsKeyFile]).toEqual(['/etc/floe/tls/tls.crt', '/etc/floe/tls/tls.key']);
    // The JWKS is set for the doors' Bearer tokens even with SASL off.
    expect(config.jwks).toBe('https://idp.example.com/.well-known/jwks.json');
    const spec = d.spec.template.spec;
    expect(spec.volumes.find((v: { name: string }) => v.name === 'tls')).toEqual({ name: 'tls', secret: { secretName: 'floe-kafka-tls' } });
    const c = spec.containers[0];
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(c[probe].httpGet.scheme).toBe('HTTPS');
    expect(one(manifests, 'ServiceMonitor').spec.endpoints[0]).toMatchObject({ scheme: 'https', tlsConfig: { insecureSkipVerify: true } });
    // Off by default: plain HTTP probes, anonymous callers.
    const plain = await render(example('minio-localstack'));
    const pd = one(plain.manifests, 'Deployment');
    expect(pd.spec.template.spec.containers[0].readinessProbe.httpGet.scheme).toBeUndefined();
    expect(loadConfig([], podEnv(plain.manifests, pd), '/app')).toMatchObject({ grpcTls: 'off', httpTls: 'off', doorAuth: 'anonymous' });
    const noSecret = await helm(['template', RELEASE, CHART, '--kube-version', KUBERNETES_VERSION, '-f', example('minio-localstack'), '--set', 'security.doors.httpTls=true']);
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stdout + noSecret.stderr).toContain('security.tls.secretName');
    // Probes present no client certificate: an HTTPS door that requires one is refused.
    const probesLockedOut = await helm(['template', RELEASE, CHART, '--kube-version', KUBERNETES_VERSION, '-f', example('tls-sasl'), ...sets.flatMap((x) => ['--set', x]), '--set', 'security.tls.clientAuth=required']);
    expect(probesLockedOut.code).not.toBe(0);
    expect(probesLockedOut.stdout + probesLockedOut.stderr).toContain("the kubelet's probes present no client certificate");
  });

  test('per-pod mode: each pod advertises its own IP, clients bootstrap from a headless Service', async () => {
    const { manifests } = await render(example('minio-localstack'));
    const d = one(manifests, 'Deployment');
    const env = d.spec.template.spec.containers[0].env;
    expect(env[0]).toEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    const config = loadConfig([], podEnv(manifests, d, '10.20.30.40'), '/app');
    expect(config.advertisedListener).toEqual({ host: '10.20.30.40', port: 9092 });
    expect(config.loadBalancer).toBeUndefined();
    const headless = one(manifests, 'Service', `${RELEASE}-floe-headless`);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.ports[0].targetPort).toBe('kafka');
    expect(of(manifests, 'Service').filter((s) => s.metadata.name.endsWith('-kafka'))).toEqual([]);

    const v6 = await render(example('minio-localstack'), 'addressing.perPod.ipv6=true');
    const config6 = loadConfig([], podEnv(v6.manifests, one(v6.manifests, 'Deployment'), 'fd00::7'), '/app');
    expect(config6.advertisedListener).toEqual({ host: 'fd00::7', port: 9092 });
  });

  test('AWS: the IAM role annotation lands on the ServiceAccount the pods run as', async () => {
    const { manifests } = await render(example('aws'));
    const sa = one(manifests, 'ServiceAccount');
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::123456789012:role/floe-prod-nodes');
    for (const d of of(manifests, 'Deployment')) expect(d.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    // No static keys: credentials come from the role.
    expect(of(manifests, 'Secret')).toEqual([]);
    expect(of(manifests, 'Deployment').every((d) => d.spec.template.spec.containers[0].envFrom.length === 1)).toBe(true);
  });

  test('zones: one Deployment and autoscaler per zone, pinned there and reporting it as the rack', async () => {
    const { manifests } = await render(example('aws'));
    const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
    expect(of(manifests, 'Deployment').map((d) => d.metadata.name)).toEqual(zones.map((z) => `${RELEASE}-floe-${z}`));
    for (const z of zones) {
      const d = one(manifests, 'Deployment', `${RELEASE}-floe-${z}`);
      expect(loadConfig([], podEnv(manifests, d), '/app').rack).toBe(z);
      const term = d.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0];
      expect(term.matchExpressions[0]).toEqual({ key: 'topology.kubernetes.io/zone', operator: 'In', values: [z] });
      expect(d.spec.replicas).toBeUndefined(); // the autoscaler owns the count
      expect(one(manifests, 'HorizontalPodAutoscaler', d.metadata.name).spec.scaleTargetRef.name).toBe(d.metadata.name);
    }
    // One budget over every zone's pods.
    const pdb = one(manifests, 'PodDisruptionBudget');
    for (const d of of(manifests, 'Deployment')) {
      for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) expect(d.spec.template.metadata.labels[k]).toBe(v);
    }
  });

  test('without zones: one Deployment spread over zones and hosts', async () => {
    const { manifests } = await render(example('minio-localstack'));
    const d = one(manifests, 'Deployment');
    const keys = d.spec.template.spec.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey);
    expect(keys).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  test('graceful termination: the grace period covers the preStop sleep, the drain and the flush', async () => {
    for (const name of EXAMPLES) {
      const { manifests } = await render(example(name));
      for (const d of of(manifests, 'Deployment')) {
        const pod = d.spec.template.spec;
        const preStop = pod.containers[0].lifecycle.preStop.sleep.seconds;
        expect(preStop).toBeGreaterThan(0);
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + WITHDRAW_SECONDS + DRAIN_SECONDS);
      }
    }
  });

  test('the ServiceMonitor scrapes /metrics on the API Service port named http', async () => {
    const { manifests } = await render(example('aws'));
    const sm = one(manifests, 'ServiceMonitor');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    const matched = of(manifests, 'Service').filter((s) =>
      Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => (s as { metadata: { labels?: Record<string, string> } }).metadata.labels?.[k] === v),
    );
    expect(matched.map((s) => s.metadata.name)).toEqual([`${RELEASE}-floe`]);
    expect(matched[0]!.spec.ports.find((p: { name: string }) => p.name === 'http').port).toBe(8080);
  });

  test.each([
    ['replicaCount=three', /replicaCount/],
    ['addressing.mode=nodePort', /addressing\.mode|mode/],
    ['storage.objectStore=file:///data', /objectStore/],
    ['ports.http=70000', /http/],
    ['security.tls.clientAuth=sometimes', /clientAuth/],
    ['security.doors.auth=basic', /auth/],
    ['imagePullPolicy=Always', /imagePullPolicy/],
  ])('values.schema.json refuses %s', async (set, mentions) => {
    const r = await lint(example('minio-localstack'), set);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/schema/i);
    expect(r.stdout + r.stderr).toMatch(mentions);
  });

  test('the chart refuses to start pods without S3 and DynamoDB: they keep no data of their own', async () => {
    const r = await helm(['template', RELEASE, CHART, '--kube-version', KUBERNETES_VERSION]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('storage.objectStore must be s3://');
  });

  test('values.schema.json describes every top-level key of values.yaml, and no other', () => {
    const defaults = parseAllDocuments(readFileSync(join(CHART, 'values.yaml'), 'utf8'))[0]!.toJS() as Record<string, unknown>;
    expect(Object.keys(defaults).sort()).toEqual(
      Object.keys((JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as { properties: object }).properties)
        .filter((k) => k !== 'global')
        .sort(),
    );
  });
});
