export {
  ProtocolError,
  CorruptMessageError,
  InvalidRequestError,
  FrameSizeError,
  UnsupportedVersionError,
  EncodeError,
  type RequestIdentity,
} from './errors.ts';
export * from './wire/index.ts';
export * from './headers.ts';
export * from './frame.ts';
export * from './generated/index.ts';
export * from './records/index.ts';
export { subscriptionTopics } from './consumer-protocol.ts';
