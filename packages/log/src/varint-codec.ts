// Unsigned and zigzag LEB128 varints over safe JavaScript integers (|n| < 2^53), for the
// journal's packed descriptors. Readers check every bound: journal items come from storage
// and are validated like any input.

export class ByteWriter {
  private buf = Buffer.alloc(256);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  uvarint(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a safe unsigned integer: ${n}`);
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
    return this;
  }

  zigzag(n: number): this {
    if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${n}`);
    return this.uvarint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  byte(n: number): this {
    this.room(1);
    this.buf[this.pos++] = n & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export class ByteReaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ByteReaderError';
  }
}

export class ByteReader {
  private pos = 0;
  private readonly buf: Uint8Array;
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  uvarint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.buf.length) throw new ByteReaderError('varint runs past the end');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw new ByteReaderError('varint exceeds 2^53');
        return result;
      }
      scale *= 0x80;
    }
    throw new ByteReaderError('varint longer than 8 bytes');
  }

  zigzag(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new ByteReaderError('byte past the end');
    return this.buf[this.pos++]!;
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) throw new ByteReaderError(`${n} bytes past the end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
