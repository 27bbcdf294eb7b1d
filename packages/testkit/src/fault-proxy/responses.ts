// The error answers the proxy gives instead of the server's, shaped as S3 (XML) and DynamoDB
// (JSON, `__type`) shape them, so that the AWS SDK parses each into its typed error.
import type { Service } from './classify.ts';
import type { FaultKind } from './rules.ts';

export interface FaultResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const DDB = 'com.amazonaws.dynamodb.v20120810';

function s3Error(status: number, code: string, message: string, requestId: string): FaultResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`,
  };
}

function dynamoError(status: number, type: string, message: string, requestId: string, extra: Record<string, unknown> = {}): FaultResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
    body: JSON.stringify({ __type: type, message, ...extra }),
  };
}

/** The answer for an error fault; undefined for faults that are not an answer (reset, latency, ...). */
export function faultResponse(service: Service, fault: FaultKind, requestId: string): FaultResponse | undefined {
  if (service === 's3') {
    if (fault === 'slow-down') return s3Error(503, 'SlowDown', 'Please reduce your request rate.', requestId);
    if (fault === 'internal-error') return s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.', requestId);
    return undefined;
  }
  switch (fault) {
    case 'slow-down':
      return dynamoError(503, `${DDB}#ServiceUnavailable`, 'Service unavailable (injected)', requestId);
    case 'internal-error':
      return dynamoError(500, `${DDB}#InternalServerError`, 'Internal server error (injected)', requestId);
    case 'throughput-exceeded':
      return dynamoError(400, `${DDB}#ProvisionedThroughputExceededException`, 'The level of configured provisioned throughput for the table was exceeded (injected)', requestId);
    case 'throttling':
      return dynamoError(400, 'com.amazon.coral.availability#ThrottlingException', 'Rate of requests exceeds the allowed throughput (injected)', requestId);
    case 'transaction-conflict':
      return dynamoError(400, `${DDB}#TransactionCanceledException`, 'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]', requestId, {
        CancellationReasons: [{ Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
      });
    default:
      return undefined;
  }
}
