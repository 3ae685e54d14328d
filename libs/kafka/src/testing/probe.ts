import { createConnection } from 'node:net';

import type { Consumer, Kafka } from 'kafkajs';

import { decodeEnvelope, type Envelope } from '../envelope.js';
import { readHeaders } from '../headers.js';

export interface ProbedMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly headers: Record<string, string>;
  readonly envelope: Envelope;
}

/**
 * Reads a topic from the beginning in the background so tests can wait for messages on the
 * output side (STYLE R43) instead of sleeping.
 */
export class TopicProbe {
  readonly messages: ProbedMessage[] = [];
  readonly #consumer: Consumer;

  private constructor(consumer: Consumer) {
    this.#consumer = consumer;
  }

  static async start(kafka: Kafka, topic: string): Promise<TopicProbe> {
    const consumer = kafka.consumer({
      groupId: `probe-${topic}-${Math.random().toString(36).slice(2)}`,
      maxWaitTimeInMs: 500,
    });
    const probe = new TopicProbe(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        probe.messages.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          headers: readHeaders(message.headers),
          envelope: decodeEnvelope(message.value),
        });
      },
    });
    return probe;
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}

export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/**
 * Sends a raw ApiVersions v0 request: the protocol ranges prove which Kafka release answers,
 * independent of any client library.
 */
export function apiVersions(host: string, port: number): Promise<ApiVersionRange[]> {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('paysync-probe');
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    let o = body.writeInt16BE(18, 0); // ApiVersions
    o = body.writeInt16BE(0, o); // v0
    o = body.writeInt32BE(1, o); // correlation id
    o = body.writeInt16BE(clientId.length, o);
    clientId.copy(body, o);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length, 0);
    const socket = createConnection({ host, port }, () =>
      socket.write(Buffer.concat([size, body])),
    );
    let buffer = Buffer.alloc(0);
    socket.setTimeout(5000, () => socket.destroy(new Error('ApiVersions timed out')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 4 || buffer.length < 4 + buffer.readInt32BE(0)) return;
      socket.end();
      let p = 4 + 4; // size, correlation id
      const errorCode = buffer.readInt16BE(p);
      p += 2;
      if (errorCode !== 0) return reject(new Error(`ApiVersions error ${errorCode}`));
      const count = buffer.readInt32BE(p);
      p += 4;
      const ranges: ApiVersionRange[] = [];
      for (let i = 0; i < count; i++) {
        ranges.push({
          apiKey: buffer.readInt16BE(p),
          minVersion: buffer.readInt16BE(p + 2),
          maxVersion: buffer.readInt16BE(p + 4),
        });
        p += 6;
      }
      resolve(ranges);
    });
  });
}
