// Fails when src/generated differs from what codegen/generate.ts produces from spec/kafka
// (someone edited generated code, or changed the spec or generator without `npm run generate`).

import { describe, expect, it } from '@jest/globals';
import { checkGenerated } from '../../codegen/generate.ts';
import { ErrorCode, errorName } from '../../src/generated/error-codes.ts';
import { API_LIST, apiByKey, ApiKey } from '../../src/generated/apis.ts';

describe('generated code', () => {
  it('matches the generator output', () => {
    expect(checkGenerated()).toEqual([]);
  });

  it('has the error codes table', () => {
    expect(ErrorCode.CORRUPT_MESSAGE).toBe(2);
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
    expect(ErrorCode.INVALID_REQUEST).toBe(42);
    expect(errorName(-1)).toBe('UNKNOWN_SERVER_ERROR');
    expect(errorName(10_000)).toBeUndefined();
  });

  it('has the api table keyed by api key', () => {
    expect(API_LIST).toHaveLength(48);
    const av = apiByKey(ApiKey.ApiVersions)!;
    expect(av.name).toBe('ApiVersions');
    expect(av.firstFlexibleVersion).toBe(3);
    expect(apiByKey(ApiKey.Produce)!.firstFlexibleVersion).toBe(9);
    expect(apiByKey(12345)).toBeUndefined();
    for (const api of API_LIST) expect(api.minVersion).toBeLessThanOrEqual(api.maxVersion);
  });
});
