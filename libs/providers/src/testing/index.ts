export { recordingProxy, type RecordingProxy } from './recording-proxy.js';
export { aStripeEvent, stripeFixture } from './stripe-fixtures.js';
