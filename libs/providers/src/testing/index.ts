export { aStripeEvent, stripeFixture } from './stripe-fixtures.js';
