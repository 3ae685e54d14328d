export { eventually } from './eventually.js';
export { stackEnv, uniqueId } from './stack.js';
