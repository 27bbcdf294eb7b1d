import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CorruptMessageError, EncodeError, ProtocolError } from '../../src/errors.ts';
import { Reader } from '../../src/wire/reader.ts';
import { Writer } from '../../src/wire/writer.ts';
import { ZERO_UUID } from '../../src/wire/types.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const write = (f: (w: Writer) => void): string => {
  const w = new Writer(16);
  f(w);
  return w.finish().toString('hex');
};
const reader = (s: string): Reader => new Reader(hex(s));

function expectCorrupt(f: () => unknown): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CorruptMessageError);
  expect((err as ProtocolError).code).toBe(2);
}

describe('varints', () => {
  it('encodes unsigned varints', () => {
    expect(write((w) => w.writeUVarint(0))).toBe('00');
    expect(write((w) => w.writeUVarint(127))).toBe('7f');
    expect(write((w) => w.writeUVarint(128))).toBe('8001');
    expect(write((w) => w.writeUVarint(300))).toBe('ac02');
    expect(write((w) => w.writeUVarint(0xffffffff))).toBe('ffffffff0f');
  });

  it('zig-zags signed varints and varlongs', () => {
    expect(write((w) => w.writeVarint(0))).toBe('00');
    expect(write((w) => w.writeVarint(-1))).toBe('01');
    expect(write((w) => w.writeVarint(1))).toBe('02');
    expect(write((w) => w.writeVarint(-2147483648))).toBe('ffffffff0f');
    expect(write((w) => w.writeVarlong(-1n))).toBe('01');
    expect(write((w) => w.writeVarlong(-(2n ** 63n)))).toBe('ffffffffffffffffff01');
    expect(reader('ffffffff0f').readVarint()).toBe(-2147483648);
    expect(reader('feffffff0f').readVarint()).toBe(2147483647);
    expect(reader('ffffffffffffffffff01').readVarlong()).toBe(-(2n ** 63n));
    expect(reader('feffffffffffffffff01').readVarlong()).toBe(2n ** 63n - 1n);
  });

  it('reads the largest 5-byte unsigned varint', () => {
    expect(reader('ffffffff0f').readUVarint()).toBe(4294967295);
  });

  it('rejects varints that overflow 32 bits or run past 5 bytes', () => {
    expectCorrupt(() => reader('ffffffff10').readUVarint());
    expectCorrupt(() => reader('ffffffff8f01').readUVarint());
    expectCorrupt(() => reader('ffffffffff01').readVarint());
    expectCorrupt(() => reader('8080808080808080').readUVarint());
  });

  it('rejects varlongs that overflow 64 bits or run past 10 bytes', () => {
    expectCorrupt(() => reader('ffffffffffffffffff02').readVarlong());
    expectCorrupt(() => reader('ffffffffffffffffff8101').readVarlong());
  });

  it('rejects truncated varints', () => {
    expectCorrupt(() => reader('').readUVarint());
    expectCorrupt(() => reader('80').readUVarint());
    expectCorrupt(() => reader('ffff').readVarlong());
  });

  it('round-trips any int32 / int64 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (v) => {
        const w = new Writer(8);
        w.writeVarint(v);
        w.writeUVarint(v >>> 0);
        const r = new Reader(w.finish());
        expect(r.readVarint()).toBe(v);
        expect(r.readUVarint()).toBe(v >>> 0);
        expect(r.remaining()).toBe(0);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const w = new Writer(8);
        w.writeVarlong(v);
        const r = new Reader(w.finish());
        expect(r.readVarlong()).toBe(v);
        expect(r.remaining()).toBe(0);
      }),
    );
  });

  it('refuses to write out-of-range values', () => {
    expect(() => write((w) => w.writeUVarint(-1))).toThrow(EncodeError);
    expect(() => write((w) => w.writeUVarint(2 ** 32))).toThrow(EncodeError);
    expect(() => write((w) => w.writeInt16(40000))).toThrow(EncodeError);
    expect(() => write((w) => w.writeInt32(2 ** 31))).toThrow(EncodeError);
    expect(() => write((w) => w.writeInt64(2n ** 63n))).toThrow(EncodeError);
  });
});

describe('strings', () => {
  it('classic strings use an int16 length, -1 for null', () => {
    expect(write((w) => w.writeString('ab'))).toBe('00026162');
    expect(write((w) => w.writeNullableString(null))).toBe('ffff');
    expect(reader('ffff').readNullableString()).toBeNull();
    expect(reader('00026162').readString()).toBe('ab');
  });

  it('compact strings use length + 1, 0 for null', () => {
    expect(write((w) => w.writeCompactNullableString(null))).toBe('00');
    expect(write((w) => w.writeCompactNullableString(''))).toBe('01');
    expect(write((w) => w.writeCompactString('ab'))).toBe('036162');
    expect(reader('00').readCompactNullableString()).toBeNull();
    expect(reader('01').readCompactNullableString()).toBe('');
    expectCorrupt(() => reader('00').readCompactString());
  });

  it('writes UTF-8 and long compact strings', () => {
    expect(write((w) => w.writeCompactString('é'))).toBe('03c3a9');
    const long = 'x'.repeat(200);
    const out = hex(write((w) => w.writeCompactString(long)));
    expect(out.subarray(0, 2).toString('hex')).toBe('c901');
    expect(new Reader(out).readCompactString()).toBe(long);
  });

  it('rejects negative and oversized lengths', () => {
    expectCorrupt(() => reader('fffe').readNullableString());
    expectCorrupt(() => reader('ffff').readString());
    expectCorrupt(() => reader('0064616263').readString());
    expectCorrupt(() => reader('ffffffff0f').readCompactString());
    expect(() => write((w) => w.writeString('x'.repeat(40000)))).toThrow(EncodeError);
  });
});

describe('bytes and records', () => {
  it('returns zero-copy subarrays', () => {
    const buf = hex('00000003 010203 ff');
    const r = new Reader(buf);
    const b = r.readBytes();
    expect(b.toString('hex')).toBe('010203');
    expect(b.buffer).toBe(buf.buffer);
    expect(r.remaining()).toBe(1);
  });

  it('reads null / compact forms and rejects bad lengths', () => {
    expect(reader('ffffffff').readNullableBytes()).toBeNull();
    expect(reader('00').readCompactNullableBytes()).toBeNull();
    expect(reader('03aabb').readCompactBytes().toString('hex')).toBe('aabb');
    expectCorrupt(() => reader('ffffffff').readBytes());
    expectCorrupt(() => reader('fffffffe').readNullableBytes());
    expectCorrupt(() => reader('7fffffff00').readNullableBytes());
    expectCorrupt(() => reader('ffffffff0f').readCompactBytes());
  });
});

describe('arrays', () => {
  it('classic arrays: int32 count, -1 null; compact: count + 1, 0 null', () => {
    expect(write((w) => w.writeArrayLength(null))).toBe('ffffffff');
    expect(write((w) => w.writeCompactArrayLength(null))).toBe('00');
    expect(write((w) => w.writeCompactArrayLength(0))).toBe('01');
    expect(reader('ffffffff').readArrayLength()).toBe(-1);
    expect(reader('00').readCompactArrayLength()).toBe(-1);
    expect(reader('01').readCompactArrayLength()).toBe(0);
  });

  it('rejects counts that cannot fit in the remaining bytes, before allocating', () => {
    expectCorrupt(() => reader('7fffffff').readArrayLength());
    expectCorrupt(() => reader('80000000').readArrayLength());
    expectCorrupt(() => reader('fffffffe').readArrayLength());
    expectCorrupt(() => reader('ffffffff0f').readCompactArrayLength());
    // Two int32 elements need 8 bytes.
    expectCorrupt(() => reader('00000002 00000001').readArrayLength(4));
    expect(reader('00000002 0000000100000002').readArrayLength(4)).toBe(2);
  });
});

describe('fixed-width types', () => {
  it('uuid is 16 bytes shown as base64url without padding', () => {
    expect(reader('00'.repeat(16)).readUuid()).toBe(ZERO_UUID);
    const u = reader('0102030405060708090a0b0c0d0e0f10').readUuid();
    expect(u).toHaveLength(22);
    expect(write((w) => w.writeUuid(u))).toBe('0102030405060708090a0b0c0d0e0f10');
    expect(() => write((w) => w.writeUuid('not-a-uuid'))).toThrow(EncodeError);
    expect(() => write((w) => w.writeUuid('AAAAAAAAAAAAAAAAAAAAAB'))).toThrow(EncodeError);
  });

  it('reads every width and fails on short input', () => {
    const r = reader('01 ff 8000 ffff 80000000 ffffffff 8000000000000000 3ff0000000000000');
    expect(r.readBool()).toBe(true);
    expect(r.readInt8()).toBe(-1);
    expect(r.readInt16()).toBe(-32768);
    expect(r.readUInt16()).toBe(65535);
    expect(r.readInt32()).toBe(-2147483648);
    expect(r.readUInt32()).toBe(4294967295);
    expect(r.readInt64()).toBe(-(2n ** 63n));
    expect(r.readFloat64()).toBe(1);
    expectCorrupt(() => r.readBool());
    expectCorrupt(() => reader('000000').readInt32());
    expectCorrupt(() => reader('00'.repeat(15)).readUuid());
  });
});

describe('tagged fields', () => {
  it('requires increasing tags', () => {
    const r = reader('02 05 00 03 00');
    const n = r.readTaggedFieldCount();
    expect(n).toBe(2);
    let last = r.readTag(-1);
    r.readTaggedBody();
    expect(() => r.readTag(last)).toThrow(CorruptMessageError);
    last = 0;
  });

  it('caps the field count by the remaining bytes', () => {
    expectCorrupt(() => reader('ffffffff0f').readTaggedFieldCount());
    expectCorrupt(() => reader('02 00 00').readTaggedFieldCount());
  });

  it('rejects a size beyond the buffer', () => {
    const r = reader('00 7f 01');
    r.readTag(-1);
    expectCorrupt(() => r.readTaggedBody());
  });

  it('writes merged sections in tag order and rejects duplicates', () => {
    const known = [{ tag: 1, data: hex('aa') }];
    const unknown = [
      { tag: 0, data: hex('') },
      { tag: 9, data: hex('bbcc') },
    ];
    expect(write((w) => w.writeTaggedFields(known, unknown))).toBe('03 0000 0101aa 0902bbcc'.replace(/ /g, ''));
    expect(() => write((w) => w.writeTaggedFields(known, [{ tag: 1, data: hex('') }]))).toThrow(EncodeError);
  });
});

describe('Writer', () => {
  it('grows past its initial capacity and patches a size prefix across chunks', () => {
    const w = new Writer(16);
    const mark = w.reserveSize();
    for (let i = 0; i < 1000; i++) w.writeInt32(i);
    w.patchSize(mark);
    const out = w.finish();
    expect(out.length).toBe(4004);
    expect(out.readInt32BE(0)).toBe(4000);
    expect(out.readInt32BE(4 + 4 * 999)).toBe(999);
  });

  it('keeps large raw appends by reference until finish', () => {
    const big = Buffer.alloc(10000, 7);
    const w = new Writer(16);
    w.writeInt8(1);
    w.writeBytes(big);
    w.writeInt8(2);
    const chunks = w.chunks();
    expect(chunks).toContain(big);
    const out = Buffer.concat(chunks);
    expect(out.length).toBe(1 + 4 + 10000 + 1);
    expect(out[out.length - 1]).toBe(2);
  });
});
