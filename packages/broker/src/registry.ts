// The handlers a listener serves, by api key. The ApiVersions answer is derived from here: it
// lists exactly the registered APIs with the version ranges their handlers declare.

import { apiByKey } from '@floe/protocol';
import type { ApiHandler, ApiKeyNumber } from './handler.ts';
import { apiVersionsHandler } from './handlers/api-versions.ts';

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export class HandlerRegistry {
  private readonly handlers = new Map<number, ApiHandler>();
  private cachedRanges: readonly ApiVersionRange[] | undefined;

  /**
   * Adds a handler. Throws when the api key already has one, or when the declared range is
   * empty or outside the versions the codec decodes.
   */
  register<K extends ApiKeyNumber>(handler: ApiHandler<K>): this {
    const api = apiByKey(handler.apiKey);
    if (api === undefined) throw new RangeError(`api key ${handler.apiKey} is not known to the codec`);
    const { minVersion: min, maxVersion: max } = handler;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min > max) {
      throw new RangeError(`${api.name} handler declares an empty or invalid version range ${min}-${max}`);
    }
    if (min < api.minVersion || max > api.maxVersion) {
      throw new RangeError(
        `${api.name} handler declares versions ${min}-${max}, outside the codec's ${api.minVersion}-${api.maxVersion}`,
      );
    }
    if (this.handlers.has(handler.apiKey)) throw new Error(`${api.name} already has a handler`);
    this.handlers.set(handler.apiKey, handler as ApiHandler);
    this.cachedRanges = undefined;
    return this;
  }

  /** The handler of an api key, if one is registered. */
  handlerFor(apiKey: number): ApiHandler | undefined {
    return this.handlers.get(apiKey);
  }

  /** True when a handler is registered for the api key and declares the version. */
  serves(apiKey: number, apiVersion: number): boolean {
    const h = this.handlers.get(apiKey);
    return h !== undefined && apiVersion >= h.minVersion && apiVersion <= h.maxVersion;
  }

  /** The registered APIs and their declared ranges, by api key: what ApiVersions advertises. */
  apiVersions(): readonly ApiVersionRange[] {
    this.cachedRanges ??= [...this.handlers.values()]
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
    return this.cachedRanges;
  }
}

/** A registry holding the ApiVersions handler (answering from this registry) and `handlers`. */
export function createRegistry(handlers: readonly ApiHandler[] = []): HandlerRegistry {
  const registry = new HandlerRegistry();
  registry.register(apiVersionsHandler(registry));
  for (const h of handlers) registry.register(h);
  return registry;
}
