// Fails when packages/grpc/generated differs from what scripts/generate-proto produces from proto/
// (someone edited generated code, or changed a .proto without regenerating).
import { describe, expect, it } from '@jest/globals';
import { checkGenerated } from '../../codegen/generate-proto.ts';

describe('generated protobuf code', () => {
  it('matches the generator output', () => {
    expect(checkGenerated()).toEqual([]);
  }, 60_000);
});
