// Hand-built request frames the codec's encoder refuses to produce (unknown keys, future versions).

/** A request frame with header v1 (apiKey, apiVersion, correlationId, clientId) and a raw body. */
export function rawFrame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const clientId = Buffer.from('raw-client');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const payload = Buffer.concat([header, clientId, body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}

function compactString(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length + 1]), b]);
}

/**
 * An ApiVersions request of a version newer than the codec knows (header v2 and a v3-style body,
 * as clients send it).
 */
export function futureApiVersionsFrame(apiVersion: number, correlationId: number, clientId = 'raw-client'): Buffer {
  const id = Buffer.from(clientId);
  const header = Buffer.alloc(10);
  header.writeInt16BE(18, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(id.length, 8);
  const payload = Buffer.concat([
    header,
    id,
    Buffer.from([0]), // header tagged fields
    compactString('floe-test'),
    compactString('1.0'),
    Buffer.from([0]), // body tagged fields
  ]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}

/** Just a size prefix (a frame that declares `size` bytes and sends none of them). */
export function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}
