// Kafka listeners in the configuration: FLOE_KAFKA_LISTEN holds one or more
// `[NAME:]PROTOCOL://host:port` (a bare `host:port` is one PLAINTEXT listener), and
// FLOE_ADVERTISED_LISTENER / FLOE_LOAD_BALANCER an address per listener name, as Kafka's
// `listeners` and `advertised.listeners`.
import { ConfigError, parseHostPort, type HostPort } from './config-values.ts';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

export interface ListenerConfig extends HostPort {
  /** Unique among the node's listeners; the protocol's name when not given. */
  name: string;
  protocol: SecurityProtocol;
}

export const usesTls = (p: SecurityProtocol) => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol) => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

const LISTENER = /^(?:([A-Za-z0-9_-]+):)?([A-Z_]+):\/\/(.+)$/;

export function parseListeners(value: string, what: string): ListenerConfig[] {
  const out = value.split(',').map((part): ListenerConfig => {
    const s = part.trim();
    const m = LISTENER.exec(s);
    if (!m) return { name: 'PLAINTEXT', protocol: 'PLAINTEXT', ...parseHostPort(s, what, 0) };
    const protocol = m[2]!;
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new ConfigError(`${what}: unknown security protocol "${protocol}" (expected ${SECURITY_PROTOCOLS.join(', ')})`);
    }
    return { name: m[1] ?? protocol, protocol: protocol as SecurityProtocol, ...parseHostPort(m[3]!, what, 0) };
  });
  const names = new Set<string>();
  for (const l of out) {
    if (names.has(l.name)) throw new ConfigError(`${what}: listener name "${l.name}" is used twice (name them: NAME:PROTOCOL://host:port)`);
    names.add(l.name);
  }
  return out;
}

/**
 * Addresses by listener name: `NAME://host:port,...`, or a bare `host:port` meaning the first
 * listener's. Every name must be one of the listeners.
 */
export function parseListenerAddresses(value: string, listeners: readonly ListenerConfig[], what: string): Record<string, HostPort> {
  const out: Record<string, HostPort> = {};
  for (const part of value.split(',').map((p) => p.trim())) {
    const m = /^([A-Za-z0-9_-]+):\/\/(.+)$/.exec(part);
    const name = m ? m[1]! : listeners[0]!.name;
    if (!listeners.some((l) => l.name === name)) throw new ConfigError(`${what}: "${name}" is not a listener of FLOE_KAFKA_LISTEN`);
    if (out[name]) throw new ConfigError(`${what}: listener "${name}" is given twice`);
    out[name] = parseHostPort(m ? m[2]! : part, what);
  }
  return out;
}
