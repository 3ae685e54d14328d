import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the proxy forwarded: its method, path (without the query) and URL-decoded body. */
interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/** A loopback HTTP proxy in front of one server that records each request it forwards. */
export interface RecordingProxy {
  /** The proxy's base URL, to give a client instead of the server's. */
  readonly url: string;
  /** The requests forwarded so far, oldest first (a test may empty it). */
  readonly requests: RecordedRequest[];
  /** Stops the proxy, dropping its open connections. */
  close(): Promise<void>;
}

/** Starts a {@link RecordingProxy} in front of `target` (a base URL such as `http://127.0.0.1:1234`). */
export async function recordingProxy(target: string): Promise<RecordingProxy> {
  const { hostname, port } = new URL(target);
  const requests: RecordedRequest[] = [];
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://x').pathname,
        body: decoded(body.toString('utf8')),
      });
      const upstream = request(
        { host: hostname, port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    requests,
    async close() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

/** A form body as text, percent-decoded where it decodes (a stray `%` keeps it as sent). */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
