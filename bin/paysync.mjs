#!/usr/bin/env node
// The image's entrypoint: `paysync <command>`. One image runs every service and admin command
// (DESIGN §8); the Kubernetes Deployment or Job picks one with its args.
//   paysync api | ingress | processor | sync-runner | recovery    run that service (compiled dist/)
//   paysync migrate [status]                                        database migrations
//   paysync topics apply                                            Kafka topic catalogue
//   paysync keys rotate                                             re-encrypt secrets with the active key
// Plain JavaScript on purpose: it only dispatches to compiled code, so it needs no build step.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const SERVICES = ['api', 'ingress', 'processor', 'sync-runner', 'recovery'];
const [command, ...rest] = process.argv.slice(2);

if (SERVICES.includes(command ?? '')) {
  // OpenTelemetry first (off unless OTEL_* asks for it), before any instrumented module loads —
  // what `node --import ./dist/instrumentation.js dist/main.js` does for `npm start`.
  await import(pathToFileURL(join(root, 'services', command, 'dist/instrumentation.js')).href);
  await import(pathToFileURL(join(root, 'services', command, 'dist/main.js')).href);
} else if (command === 'migrate' || command === 'topics' || command === 'keys') {
  const { runAdminCommand } = await import(
    pathToFileURL(join(root, 'libs/runtime/dist/cli/admin.js')).href
  );
  process.exitCode = await runAdminCommand([command, ...rest], { env: process.env, root });
} else {
  process.stderr.write(
    `usage: paysync <${SERVICES.join('|')}>\n       paysync migrate [status]\n       paysync topics apply\n       paysync keys rotate\n`,
  );
  process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}
