// stripe-stateful-mock ships no types; only the entry point the tests use is declared.
declare module 'stripe-stateful-mock' {
  import type { Server } from 'node:http';

  export function createExpressApp(): {
    listen(port: number, host: string, callback: () => void): Server;
  };
}
