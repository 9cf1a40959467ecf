/**
 * A loopback HTTP server standing in for the internet in the remote-image tests (CI has no other
 * network): an image, redirects, oversized and slow bodies. A resolver maps test host names to
 * addresses, and `allowTestHost` lets 127.0.0.1 (this server) through the address policy while
 * every other non-public address stays refused, so "public host redirects to a private one" can be
 * played out on one machine.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { RemoteFetchOptions, ResolvedAddress } from '../../lib/index.js';
import { nonPublicReason } from '../../lib/net/address-policy.js';
import { goldenPath } from '../support/golden.js';

export const imagePath = goldenPath('images', 'synthetic-20x20.png');
export const imageBytes = readFileSync(imagePath);

/** Test host names and what they resolve to. */
export const testHosts: Record<string, ResolvedAddress[]> = {
  'images.example': [{ address: '127.0.0.1', family: 4 }],
  'metadata.example': [{ address: '169.254.169.254', family: 4 }],
  'intranet.example': [{ address: '10.0.0.7', family: 4 }],
  'mixed.example': [
    { address: '93.184.216.34', family: 4 },
    { address: '192.168.0.1', family: 4 },
  ],
};

export const testResolve = async (hostname: string): Promise<ResolvedAddress[]> => {
  const found = testHosts[hostname];
  if (!found) throw new Error(`unknown test host ${hostname}`);
  return found;
};

/** The test hook: this loopback server counts as public, nothing else changes. */
export const allowTestHost: RemoteFetchOptions = {
  resolve: testResolve,
  refuseAddress: (address) => (address === '127.0.0.1' ? undefined : nonPublicReason(address)),
};

function handler(url: URL, response: import('node:http').ServerResponse): void {
  switch (url.pathname) {
    case '/image.png':
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': imageBytes.length });
      response.end(imageBytes);
      return;
    case '/redirect':
      response.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
      response.end();
      return;
    case '/loop':
      response.writeHead(301, { location: '/loop' });
      response.end();
      return;
    case '/big':
      response.writeHead(200, { 'content-length': 1 << 20 });
      response.end(Buffer.alloc(1 << 20));
      return;
    case '/big-chunked':
      response.writeHead(200); // no content-length: the limit must hold while reading
      for (let i = 0; i < 64; i++) response.write(Buffer.alloc(16 * 1024));
      response.end();
      return;
    case '/slow':
      return; // never answers
    default:
      response.writeHead(404);
      response.end();
  }
}

/** Starts the host for a test file; `port()` is its port once beforeAll ran. */
export function useImageHost(): { port: () => number } {
  let server: Server;
  beforeAll(async () => {
    server = createServer((request, response) => handler(new URL(request.url ?? '/', 'http://x'), response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: () => (server.address() as AddressInfo).port };
}
