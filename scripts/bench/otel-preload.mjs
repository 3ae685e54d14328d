// Preloaded into each service process of the tracing-overhead benchmark (NODE_OPTIONS=--import):
// registers tsx, then loads the service's own src/instrumentation.ts, as `--import` does in
// production. Other processes (the tsx CLI wrapper) are left alone.
const match = /services[\\/]([a-z-]+)[\\/]src[\\/]main\.ts$/.exec(process.argv[1] ?? '');
if (match) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL(`../../services/${match[1]}/src/instrumentation.ts`, import.meta.url).href);
}
