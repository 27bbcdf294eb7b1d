// Request and response headers (hand-written; the facts are in spec/kafka/RequestHeader.json and
// ResponseHeader.json).
//
// Request header v0: apiKey int16, apiVersion int16, correlationId int32.
//                v1: + clientId, a nullable string with an int16 length.
//                v2: + tagged fields. The clientId stays an int16-length string (its
//                    flexibleVersions is "none"), it never becomes a compact string.
// Response header v0: correlationId int32.  v1: + tagged fields.
//
// A request uses header v2 when its API version is flexible, v1 otherwise. A response uses v1
// when flexible, v0 otherwise, except ApiVersions responses, which always use v0: a client
// must be able to read the ApiVersions answer before it knows which versions the broker speaks.

import type { Reader } from './wire/reader.ts';
import type { Writer } from './wire/writer.ts';
import type { TaggedField } from './wire/types.ts';
import { apiByKey, ApiKey, isFlexibleVersion } from './generated/apis.ts';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** null in header v0 and when the client sent a null id. */
  clientId: string | null;
  /** Tagged fields of header v2 (raw; Floe defines none). Empty in v0/v1. */
  taggedFields: TaggedField[];
}

export interface ResponseHeader {
  correlationId: number;
  /** Tagged fields of header v1 (raw). Empty in v0. */
  taggedFields: TaggedField[];
}

const CONTROLLED_SHUTDOWN = 7;

/**
 * Request header version for an API version: 2 when flexible, else 1. ControlledShutdown v0 is
 * the one request that used header v0; Floe does not serve it but the rule is kept here.
 * Unknown api keys get 1 (only the fixed first 8 bytes are ever read from them).
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 | 2 {
  if (apiKey === CONTROLLED_SHUTDOWN && apiVersion === 0) return 0;
  const api = apiByKey(apiKey);
  if (api === undefined) return 1;
  return isFlexibleVersion(api, apiVersion) ? 2 : 1;
}

/** Response header version: 1 when flexible, else 0; ApiVersions always 0. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === ApiKey.ApiVersions) return 0;
  const api = apiByKey(apiKey);
  if (api === undefined) return 0;
  return isFlexibleVersion(api, apiVersion) ? 1 : 0;
}

export function decodeRequestHeader(r: Reader, headerVersion: 0 | 1 | 2): RequestHeader {
  const apiKey = r.readInt16();
  const apiVersion = r.readInt16();
  const correlationId = r.readInt32();
  const clientId = headerVersion >= 1 ? r.readNullableString() : null;
  const taggedFields = headerVersion >= 2 ? r.readRawTaggedFields() : [];
  return { apiKey, apiVersion, correlationId, clientId, taggedFields };
}

export function encodeRequestHeader(w: Writer, h: RequestHeader, headerVersion: 0 | 1 | 2): void {
  w.writeInt16(h.apiKey);
  w.writeInt16(h.apiVersion);
  w.writeInt32(h.correlationId);
  if (headerVersion >= 1) w.writeNullableString(h.clientId);
  if (headerVersion >= 2) w.writeTaggedFields(undefined, h.taggedFields);
}

export function decodeResponseHeader(r: Reader, headerVersion: 0 | 1): ResponseHeader {
  const correlationId = r.readInt32();
  const taggedFields = headerVersion >= 1 ? r.readRawTaggedFields() : [];
  return { correlationId, taggedFields };
}

export function encodeResponseHeader(w: Writer, h: ResponseHeader, headerVersion: 0 | 1): void {
  w.writeInt32(h.correlationId);
  if (headerVersion >= 1) w.writeTaggedFields(undefined, h.taggedFields);
}
