// What an S3 or DynamoDB request asks for, from its method, path, query and headers alone (the
// body is never parsed), so that fault rules can name request types.
import type { IncomingHttpHeaders } from 'node:http';

export type Service = 's3' | 'dynamodb';

export interface RequestClass {
  service: Service;
  /** S3: PutObject, GetObject, HeadObject, ...; DynamoDB: the X-Amz-Target operation (GetItem, ...). */
  op: string;
  /** S3 GetObject with a Range header. */
  ranged: boolean;
}

const DYNAMODB_TARGET = /^DynamoDB_\d+\.(\w+)$/;

/**
 * Classifies a request as an AWS SDK v3 client sends it to MinIO or DynamoDB Local: DynamoDB by
 * its `X-Amz-Target` header, S3 by method, path-style `/bucket/key` and query parameters.
 */
export function classifyRequest(method: string, url: string, headers: IncomingHttpHeaders): RequestClass {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const m = DYNAMODB_TARGET.exec(target);
    return { service: 'dynamodb', op: m ? m[1]! : 'DynamoDBOther', ranged: false };
  }
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  // Path-style: /bucket or /bucket/ names the bucket; anything after the second slash is a key.
  const rest = path.replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  const hasKey = slash >= 0 && slash < rest.length - 1;
  const op = s3Op(method.toUpperCase(), hasKey, params, headers);
  return { service: 's3', op, ranged: op === 'GetObject' && headers.range !== undefined };
}

function s3Op(method: string, hasKey: boolean, params: URLSearchParams, headers: IncomingHttpHeaders): string {
  if (!hasKey) {
    switch (method) {
      case 'GET':
        return params.get('list-type') === '2' ? 'ListObjectsV2' : params.has('uploads') ? 'ListMultipartUploads' : params.has('location') ? 'GetBucketLocation' : 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        return 'CreateBucket';
      case 'POST':
        return params.has('delete') ? 'DeleteObjects' : 'S3Other';
      case 'DELETE':
        return 'DeleteBucket';
      default:
        return 'S3Other';
    }
  }
  switch (method) {
    case 'GET':
      return params.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (params.has('uploadId') && params.has('partNumber')) return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
      return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (params.has('uploads')) return 'CreateMultipartUpload';
      if (params.has('uploadId')) return 'CompleteMultipartUpload';
      return 'S3Other';
    case 'DELETE':
      return params.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return 'S3Other';
  }
}
