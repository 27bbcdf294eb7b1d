import { describe, expect, it } from '@jest/globals';
import { parseEnvFile } from '../../src/test-env.ts';

describe('parseEnvFile', () => {
  it('reads export lines and unquotes single-quoted values', () => {
    const env = parseEnvFile("export A=1\n# comment\nexport B='/x/lib/*'\nnoise\n");
    expect(env).toEqual({ A: '1', B: '/x/lib/*' });
  });
});
