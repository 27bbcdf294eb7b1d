"""A confluent-kafka (librdkafka) idempotent producer for Floe's chaos runs.

Sends the values <prefix>.0, <prefix>.1, ... (in that order) at a given rate and prints one JSON
line per delivery report: {"seq", "value", "partition", "offset"} or {"seq", "value", "error"}.
On SIGTERM, or after the last value, it flushes for a bounded time and prints {"done": sent}.
"""
import json
import signal
import sys
import time

from confluent_kafka import KafkaException, Producer


def main() -> None:
    bootstrap, topic, prefix, count, rate = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    producer = Producer({
        'bootstrap.servers': bootstrap,
        'enable.idempotence': True,
        'acks': 'all',
        'linger.ms': 5,
        'message.timeout.ms': 120000,
        'metadata.max.age.ms': 5000,
    })
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))

    def report(seq):
        def on_delivery(err, msg):
            value = f'{prefix}.{seq}'
            if err is not None:
                print(json.dumps({'seq': seq, 'value': value, 'error': str(err)}), flush=True)
            else:
                print(json.dumps({'seq': seq, 'value': value, 'partition': msg.partition(), 'offset': msg.offset()}), flush=True)
        return on_delivery

    start = time.monotonic()
    sent = 0
    try:
        while sent < count and not stop:
            due = start + sent / rate
            now = time.monotonic()
            if due > now:
                producer.poll(min(due - now, 0.05))
                continue
            try:
                producer.produce(topic, value=f'{prefix}.{sent}'.encode(), on_delivery=report(sent))
                sent += 1
            except BufferError:
                producer.poll(0.1)
            producer.poll(0)
        producer.flush(30 if not stop else 10)
    except KafkaException as e:
        # A fatal error (the producer can send nothing more): say so, and how many were handed over.
        print(json.dumps({'fatal': str(e)}), flush=True)
        try:
            producer.flush(5)
        except KafkaException:
            pass
    print(json.dumps({'done': sent}), flush=True)


if __name__ == '__main__':
    main()
