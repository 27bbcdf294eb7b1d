// The part of the consumer protocol's embedded format that a broker reads: the topics a member
// subscribes to, at the front of the subscription it sends as JoinGroup protocol metadata
// (ConsumerProtocolSubscription v0-3: int16 version, then an array of int16-length strings).
// OffsetDelete needs it (GROUP_SUBSCRIBED_TO_TOPIC); everything else in the subscription and the
// assignment stays opaque bytes that only clients interpret.
import { Reader } from './wire/reader.ts';

/** The subscribed topics, or undefined if the bytes are not a consumer subscription Floe can read. */
export function subscriptionTopics(metadata: Uint8Array): string[] | undefined {
  try {
    const r = new Reader(Buffer.from(metadata.buffer, metadata.byteOffset, metadata.byteLength));
    const version = r.readInt16();
    if (version < 0 || version > 3) return undefined;
    const n = r.readArrayLength(2);
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.readString());
    return topics;
  } catch {
    return undefined;
  }
}
