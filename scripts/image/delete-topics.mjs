// Deletes the topics a smoke run created: node scripts/image/delete-topics.mjs <broker> <prefix>
import kafkajs from 'kafkajs';

const [broker, prefix] = process.argv.slice(2);
if (!broker || !prefix) {
  console.error('usage: delete-topics.mjs <broker> <prefix>');
  process.exit(2);
}
const kafka = new kafkajs.Kafka({ brokers: [broker], logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
try {
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  console.log(`deleted ${topics.length} topics`);
} finally {
  await admin.disconnect();
}
