import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  EncodeError,
  FrameSizeError,
  InvalidRequestError,
  ProtocolError,
  UnsupportedVersionError,
} from '../../src/errors.ts';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, FrameSplitter } from '../../src/frame.ts';
import { ApiKey, APIS } from '../../src/generated/apis.ts';
import {
  decodeApiVersionsRequest,
  defaultApiVersionsResponse,
  encodeApiVersionsRequest,
} from '../../src/generated/messages/api-versions.ts';
import { defaultMetadataRequest, defaultMetadataResponse } from '../../src/generated/messages/metadata.ts';
import { defaultProduceRequest, encodeProduceRequest } from '../../src/generated/messages/produce.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../../src/headers.ts';
import { Reader } from '../../src/wire/reader.ts';
import { Writer } from '../../src/wire/writer.ts';
import { ZERO_UUID } from '../../src/wire/types.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

function caught(f: () => unknown): ProtocolError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return e as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

// An ApiVersions v3 request as a Java client sends it: header v2 with an int16-length client id,
// then the compact client software name and version and empty tagged sections.
const API_VERSIONS_V3 = hex(
  '00000031' + // size 49
    '0012 0003 00000001' + // apiKey 18, version 3, correlation id 1
    '000d' + ascii('adminclient-1') + // client id: int16 length, even in header v2
    '00' + // header tagged fields
    '12' + ascii('apache-kafka-java') + // compact string, length 17 + 1
    '06' + ascii('3.7.0') +
    '00', // body tagged fields
);

// A Metadata v12 request for one topic by name.
const METADATA_V12 = hex(
  '00000028' + // size 40
    '0003 000c 00000002' + // apiKey 3, version 12, correlation id 2
    '0001' + ascii('c') + // client id "c"
    '00' + // header tagged fields
    '02' + // compact array: 1 topic
    '00'.repeat(16) + // topic id: zero uuid
    '07' + ascii('orders') + // compact nullable name
    '00' + // topic tagged fields
    '01' + // allowAutoTopicCreation
    '00' + // includeTopicAuthorizedOperations
    '00', // body tagged fields
);

describe('request headers', () => {
  it('decodes a known ApiVersions v3 request', () => {
    const d = decodeRequest(API_VERSIONS_V3.subarray(4));
    expect(d.apiKey).toBe(ApiKey.ApiVersions);
    expect(d.header).toEqual({
      apiKey: 18,
      apiVersion: 3,
      correlationId: 1,
      clientId: 'adminclient-1',
      taggedFields: [],
    });
    expect(d.body).toEqual({ clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '3.7.0' });
  });

  it('encodes the same ApiVersions v3 bytes', () => {
    const frame = encodeRequest(
      { apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'adminclient-1' },
      { clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '3.7.0' },
    );
    expect(frame.toString('hex')).toBe(API_VERSIONS_V3.toString('hex'));
  });

  it('decodes and re-encodes a known Metadata v12 request', () => {
    const d = decodeRequest(METADATA_V12.subarray(4));
    if (d.apiKey !== ApiKey.Metadata) throw new Error('wrong api');
    expect(d.header.clientId).toBe('c');
    expect(d.body.topics).toEqual([{ topicId: ZERO_UUID, name: 'orders' }]);
    expect(d.body.allowAutoTopicCreation).toBe(true);
    expect(d.body.includeTopicAuthorizedOperations).toBe(false);
    const again = encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 2, clientId: 'c' }, d.body);
    expect(again.toString('hex')).toBe(METADATA_V12.toString('hex'));
  });

  it('keeps the client id an int16-length string in header v2, even when long', () => {
    const clientId = 'x'.repeat(300);
    const frame = encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 9, clientId }, {
      clientSoftwareName: 'a',
      clientSoftwareVersion: 'b',
    });
    expect(frame.readInt16BE(12)).toBe(300);
    expect(frame[14 + 300]).toBe(0); // header tagged fields right after the id
    expect(decodeRequest(frame.subarray(4)).header.clientId).toBe(clientId);
  });

  it('encodes a null client id as -1 and reads it back', () => {
    const frame = encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 3, clientId: null }, defaultMetadataRequest());
    expect(frame.readInt16BE(12)).toBe(-1);
    expect(decodeRequest(frame.subarray(4)).header.clientId).toBeNull();
  });

  it('uses header v1 for non-flexible versions and v2 for flexible ones', () => {
    expect(requestHeaderVersion(ApiKey.Metadata, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Metadata, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(7, 0)).toBe(0); // ControlledShutdown v0
    const v1 = encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 8, correlationId: 5, clientId: 'c' }, defaultMetadataRequest());
    // v1 header: no tagged section; Metadata v8 body starts with a classic int32 topics count.
    expect(v1.subarray(4).toString('hex')).toBe('0003000800000005' + '0001' + ascii('c') + '00000000' + '01' + '00' + '00');
  });

  it('preserves request header tagged fields', () => {
    const frame = encodeRequest(
      { apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'a', taggedFields: [{ tag: 3, data: hex('beef') }] },
      { clientSoftwareName: 'a', clientSoftwareVersion: 'b' },
    );
    const d = decodeRequest(frame.subarray(4));
    expect(d.header.taggedFields).toEqual([{ tag: 3, data: hex('beef') }]);
  });
});

describe('response headers', () => {
  it('ApiVersions responses always use header v0, even at flexible versions', () => {
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    const body = defaultApiVersionsResponse();
    body.apiKeys = [{ apiKey: 18, minVersion: 0, maxVersion: 4 }];
    const frame = encodeResponse(ApiKey.ApiVersions, 3, 7, body);
    expect(frame.toString('hex')).toBe(
      '00000013' + // size 19
        '00000007' + // correlation id; no header tagged section
        '0000' + // error code
        '02' + '0012 0000 0004'.replace(/ /g, '') + '00' + // compact array of one ApiVersion
        '00000000' + // throttle time
        '00', // body tagged fields
    );
    const d = decodeResponse(ApiKey.ApiVersions, 3, frame.subarray(4));
    expect(d.header).toEqual({ correlationId: 7, taggedFields: [] });
    expect(d.body).toEqual(body);
  });

  it('other flexible responses use header v1 (tagged section after the correlation id)', () => {
    expect(responseHeaderVersion(ApiKey.Metadata, 12)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
    const frame = encodeResponse(ApiKey.Metadata, 12, 8, defaultMetadataResponse());
    expect(frame.subarray(4, 9).toString('hex')).toBe('0000000800');
    const d = decodeResponse(ApiKey.Metadata, 12, frame.subarray(4));
    expect(d.body).toEqual(defaultMetadataResponse());
  });
});

describe('decodeRequest errors', () => {
  it('an unknown api key carries UNSUPPORTED_VERSION and the correlation id', () => {
    const e = caught(() => decodeRequest(hex('7fff 0000 0000abcd 0000')));
    expect(e).toBeInstanceOf(UnsupportedVersionError);
    expect(e.code).toBe(35);
    expect(e.request).toEqual({ apiKey: 0x7fff, apiVersion: 0, correlationId: 0xabcd });
  });

  it('a version outside the range carries UNSUPPORTED_VERSION', () => {
    const e = caught(() => decodeRequest(hex('0000 0063 00000005 0000')));
    expect(e.code).toBe(35);
    expect(e.request?.correlationId).toBe(5);
  });

  it('an ApiVersions request newer than Floe knows still yields its header (KIP-511)', () => {
    const body = '05' + ascii('next') + '02' + ascii('9') + '00';
    const frame = hex('0012 0063 0000002a' + '0003' + ascii('cli') + '00' + body);
    const e = caught(() => decodeRequest(frame));
    expect(e).toBeInstanceOf(UnsupportedVersionError);
    expect(e.code).toBe(35);
    expect(e.request).toEqual({ apiKey: 18, apiVersion: 99, correlationId: 42, clientId: 'cli' });
    // The broker answers with v0, which always has header v0.
    const answer = encodeResponse(ApiKey.ApiVersions, 0, 42, { ...defaultApiVersionsResponse(), errorCode: 35 });
    expect(answer.subarray(4, 10).toString('hex')).toBe('0000002a0023');
  });

  it('a too-new ApiVersions with an unreadable header still reports UNSUPPORTED_VERSION', () => {
    const e = caught(() => decodeRequest(hex('0012 0063 0000002a 7fff')));
    expect(e.code).toBe(35);
    expect(e.request).toEqual({ apiKey: 18, apiVersion: 99, correlationId: 42 });
  });

  it('ignores trailing bytes after a request body, as Kafka does, and rejects short frames', () => {
    const frame = Buffer.concat([API_VERSIONS_V3.subarray(4), hex('00')]);
    const decoded = decodeRequest(frame);
    expect(decoded.apiKey).toBe(18);
    expect(decoded.trailingBytes).toBe(1);
    expect(decoded.header.clientId).toBe('adminclient-1');
    expect(decodeRequest(API_VERSIONS_V3.subarray(4)).trailingBytes).toBe(0);
    expect(caught(() => decodeRequest(hex('0012'))).code).toBe(2);
    expect(caught(() => decodeRequest(API_VERSIONS_V3.subarray(4, 30))).request?.correlationId).toBe(1);
  });
});

describe('version-gated fields', () => {
  it('throws when a non-ignorable field the version lacks holds a non-default value', () => {
    const req = { ...defaultProduceRequest(), transactionalId: 'tx' };
    const e = caught(() => encodeProduceRequest(new Writer(), 2, req));
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.code).toBe(35);
    expect(() => encodeProduceRequest(new Writer(), 3, req)).not.toThrow();
  });

  it('drops an ignorable field silently and decodes it as its default', () => {
    const body = { ...defaultApiVersionsResponse(), throttleTimeMs: 500 };
    const frame = encodeResponse(ApiKey.ApiVersions, 0, 1, body);
    expect(decodeResponse(ApiKey.ApiVersions, 0, frame.subarray(4)).body.throttleTimeMs).toBe(0);
  });

  it('rejects null in a field that is not nullable at the version', () => {
    const req = { ...defaultMetadataRequest(), topics: null };
    expect(() => encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 1 }, req)).not.toThrow();
    const e = caught(() => encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 0, correlationId: 1 }, req));
    expect(e).toBeInstanceOf(EncodeError);
  });
});

describe('unknown tagged fields', () => {
  it('are preserved on decode and written back in tag order', () => {
    // ApiVersions v3 request body with unknown tags 2 and 7.
    const bytes = hex('02' + ascii('a') + '02' + ascii('b') + '02 02 01 ff 07 02 aabb');
    const m = decodeApiVersionsRequest(new Reader(bytes), 3);
    expect(m.unknownTaggedFields).toEqual([
      { tag: 2, data: hex('ff') },
      { tag: 7, data: hex('aabb') },
    ]);
    const w = new Writer();
    encodeApiVersionsRequest(w, 3, m);
    expect(w.finish().toString('hex')).toBe(bytes.toString('hex'));
  });

  it('interleave with known tagged fields by tag number', () => {
    const body = { ...defaultApiVersionsResponse(), finalizedFeaturesEpoch: 5n, unknownTaggedFields: [{ tag: 0x20, data: hex('01') }] };
    const frame = encodeResponse(ApiKey.ApiVersions, 3, 1, body);
    // ... throttle(4) then tagged section: 2 fields, tag 1 (int64) then tag 32.
    expect(frame.subarray(frame.length - 14).toString('hex')).toBe('02' + '0108' + '0000000000000005' + '2001' + '01');
    expect(decodeResponse(ApiKey.ApiVersions, 3, frame.subarray(4)).body).toEqual(body);
  });

  it('a known tag before its tagged versions is kept as unknown', () => {
    // FetchRequest.ReplicaState is tag 1 from v15; at v12 tag 1 is unknown.
    const api = APIS[ApiKey.Fetch];
    const w = new Writer();
    api.encodeRequest(w, 12, { ...api.defaultRequest(), unknownTaggedFields: [{ tag: 1, data: hex('abcd') }] });
    const m = api.decodeRequest(new Reader(w.finish()), 12);
    expect(m.unknownTaggedFields).toEqual([{ tag: 1, data: hex('abcd') }]);
  });

  it('reject decreasing tags', () => {
    const bytes = hex('02' + ascii('a') + '02' + ascii('b') + '02 07 00 02 00');
    expect(() => decodeApiVersionsRequest(new Reader(bytes), 3)).toThrow(ProtocolError);
  });
});

describe('FrameSplitter', () => {
  const frame = (payload: string | Uint8Array): Buffer => {
    const p = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
    const b = Buffer.alloc(4 + p.length);
    b.writeInt32BE(p.length, 0);
    p.copy(b, 4);
    return b;
  };

  it('splits several frames in one chunk, zero-copy', () => {
    const chunk = Buffer.concat([frame('one'), frame('two'), frame('')]);
    const s = new FrameSplitter();
    const out = s.push(chunk);
    expect(out.map((b) => b.toString())).toEqual(['one', 'two', '']);
    expect(out[0]!.buffer).toBe(chunk.buffer);
    expect(s.buffered).toBe(0);
  });

  it('reassembles frames fed one byte at a time', () => {
    const all = Buffer.concat([frame('hello'), frame('world!')]);
    const s = new FrameSplitter();
    const out: string[] = [];
    for (const byte of all) out.push(...s.push(Buffer.from([byte])).map((b) => b.toString()));
    expect(out).toEqual(['hello', 'world!']);
  });

  it('keeps a partial frame until the rest arrives', () => {
    const f = frame('abcdef');
    const s = new FrameSplitter();
    expect(s.push(f.subarray(0, 6))).toEqual([]);
    expect(s.buffered).toBe(6);
    expect(s.push(f.subarray(6)).map((b) => b.toString())).toEqual(['abcdef']);
  });

  it('rejects a declared size above the maximum before the body arrives', () => {
    const s = new FrameSplitter({ maxFrameSize: 1024 });
    const e = caught(() => s.push(hex('00000401')));
    expect(e).toBeInstanceOf(FrameSizeError);
    expect((e as FrameSizeError).declaredSize).toBe(1025);
    // The splitter stays failed.
    expect(() => s.push(frame('x'))).toThrow(FrameSizeError);
    expect(new FrameSplitter({ maxFrameSize: 1024 }).push(Buffer.concat([hex('00000400'), Buffer.alloc(1024)]))).toHaveLength(1);
  });

  it('rejects a negative size', () => {
    const e = caught(() => new FrameSplitter().push(hex('ffffffff')));
    expect(e).toBeInstanceOf(FrameSizeError);
    expect((e as FrameSizeError).declaredSize).toBe(-1);
    expect(caught(() => new FrameSplitter().push(hex('80000000 00'))).code).toBe(42);
  });

  it('a 2 GiB declared size does not allocate', () => {
    const s = new FrameSplitter({ maxFrameSize: 0x7fffffff });
    expect(s.push(hex('7fffffff 0102'))).toEqual([]);
    expect(s.buffered).toBe(6);
  });

  it('yields the same frames for any chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => frame(p)));
          const s = new FrameSplitter();
          const out: Buffer[] = [];
          let pos = 0;
          let i = 0;
          while (pos < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            out.push(...s.push(stream.subarray(pos, pos + n)));
            pos += n;
          }
          expect(out.map((b) => b.toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
          expect(s.buffered).toBe(0);
        },
      ),
    );
  });
});

describe('requests real clients send with bytes after the body', () => {
  it('decodes confluent-kafka 2.16 Metadata v12 (list_topics) with its 3 extra bytes', () => {
    // Header v2: api key 3, version 12, correlation id 2, client id "rdkafka", no tagged fields;
    // body: topics null, allow auto-creation false, include topic authorized operations false,
    // no tagged fields; then the 3 bytes librdkafka 2.16.0 adds.
    const clientId = Buffer.from('rdkafka');
    const frame = Buffer.concat([
      hex('0003 000c 00000002'),
      Buffer.from([0, clientId.length]),
      clientId,
      hex('00'),
      hex('00 00 00 00'),
      hex('01 00 00'),
    ]);
    const decoded = decodeRequest(frame);
    expect(decoded.apiKey).toBe(3);
    expect(decoded.header.apiVersion).toBe(12);
    expect(decoded.trailingBytes).toBe(3);
    if (decoded.apiKey === 3) {
      expect(decoded.body.topics).toBeNull();
      expect(decoded.body.allowAutoTopicCreation).toBe(false);
    }
  });
});
