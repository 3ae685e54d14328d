export { eventually } from './eventually.js';
export { freePort } from './net.js';
export { stackEnv, uniqueId } from './stack.js';
export { spawnServiceFromSource } from './process.js';
