// Value types and parsers shared by the configuration modules.

export interface HostPort {
  host: string;
  port: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `host:port`; a listen address may use port 0 (any free port), an advertised one may not. */
export function parseHostPort(value: string, what: string, minPort = 1): HostPort {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < minPort || port > 65535) {
    throw new ConfigError(`${what}: expected host:port with a port from ${minPort} to 65535, got "${value}"`);
  }
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

