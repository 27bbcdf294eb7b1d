import { describe, expect, it } from '@jest/globals';
import { APIS, ApiKey, defaultMetadataResponse } from '@floe/protocol';
import { createRegistry, defineHandler, HandlerRegistry } from '../../src/index.ts';

const metadata = (minVersion: number, maxVersion: number) =>
  defineHandler({
    apiKey: ApiKey.Metadata,
    minVersion,
    maxVersion,
    handle: async () => defaultMetadataResponse(),
  });

describe('HandlerRegistry', () => {
  it('createRegistry holds ApiVersions with the codec range, and nothing else', () => {
    const r = createRegistry();
    expect(r.apiVersions()).toEqual([
      { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: APIS[ApiKey.ApiVersions].maxVersion },
    ]);
    expect(r.serves(ApiKey.ApiVersions, 4)).toBe(true);
    expect(r.serves(ApiKey.ApiVersions, 5)).toBe(false);
    expect(r.serves(ApiKey.Metadata, 0)).toBe(false);
  });

  it('advertises exactly the declared ranges, sorted by api key', () => {
    const r = createRegistry([metadata(4, 9)]);
    expect(r.apiVersions()).toEqual([
      { apiKey: ApiKey.Metadata, minVersion: 4, maxVersion: 9 },
      { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 },
    ]);
    expect(r.serves(ApiKey.Metadata, 3)).toBe(false);
    expect(r.serves(ApiKey.Metadata, 4)).toBe(true);
    expect(r.serves(ApiKey.Metadata, 9)).toBe(true);
    expect(r.serves(ApiKey.Metadata, 10)).toBe(false);
  });

  it('a handler registered later shows up in the list', () => {
    const r = createRegistry();
    const before = r.apiVersions();
    r.register(metadata(0, 12));
    expect(before).toHaveLength(1);
    expect(r.apiVersions().map((v) => v.apiKey)).toEqual([ApiKey.Metadata, ApiKey.ApiVersions]);
  });

  it('rejects ranges outside the codec, empty ranges, unknown keys and duplicates', () => {
    const r = new HandlerRegistry();
    expect(() => r.register(metadata(0, APIS[ApiKey.Metadata].maxVersion + 1))).toThrow(/outside the codec/);
    expect(() => r.register(metadata(-1, 3))).toThrow(/outside the codec/);
    expect(() => r.register(metadata(5, 4))).toThrow(/empty or invalid/);
    expect(() => r.register(metadata(0.5, 4))).toThrow(/empty or invalid/);
    expect(() =>
      r.register({ apiKey: 999 as typeof ApiKey.Metadata, minVersion: 0, maxVersion: 0, handle: async () => defaultMetadataResponse() }),
    ).toThrow(/not known/);
    r.register(metadata(0, 1));
    expect(() => r.register(metadata(0, 1))).toThrow(/already has a handler/);
  });
});
