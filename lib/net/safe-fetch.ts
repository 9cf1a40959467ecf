/**
 * The one fetcher for remote images (loadModel's allowRemoteImages and `vl2 serve
 * --allow-remote-images`): http(s) only, a time limit over the whole fetch, a byte limit checked on
 * the declared length and on every chunk, and redirects followed by hand so each hop is checked
 * again. Every host is resolved first and all its addresses must be public (address-policy.ts); the
 * connection then goes to the address that was checked, never to a second lookup, so a DNS answer
 * that changes between check and connect (rebinding) cannot reach a private address.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { ImageError, InvalidArgumentError } from '../errors.js';
import { nonPublicReason } from './address-policy.js';

/** A resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Limits and policy of {@link fetchRemote}. */
export interface RemoteFetchOptions {
  /** Largest body accepted, in bytes (default 20 MiB, OpenAI's own per-image limit). */
  maxBytes?: number;
  /** Time allowed for the whole fetch, redirects included, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Redirects followed at most (default 5). */
  maxRedirects?: number;
  /** Resolves a host name to its addresses (default: the system resolver, every address). */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  /**
   * Why an address may not be fetched from, or undefined to allow it (default: anything but public
   * unicast is refused). Tests and closed networks replace it; widening it re-opens SSRF.
   */
  refuseAddress?: (address: string) => string | undefined;
  /** Ends the fetch early (the caller's request went away). */
  signal?: AbortSignal;
}

const defaultRemoteMaxBytes = 20 * 1024 ** 2;
const defaultRemoteTimeoutMs = 10_000;
const defaultRemoteMaxRedirects = 5;

async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

/** The address to connect to for a URL's host, after every address it has passed the policy. */
async function checkedAddress(url: URL, options: RemoteFetchOptions): Promise<ResolvedAddress> {
  const refuse = options.refuseAddress ?? nonPublicReason;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  let addresses: ResolvedAddress[];
  if (family !== 0) {
    addresses = [{ address: host, family: family === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolve)(host);
    } catch (error) {
      throw new ImageError(`cannot resolve ${host}: ${(error as Error).message}`, { cause: error });
    }
    if (addresses.length === 0) throw new ImageError(`cannot resolve ${host}: no addresses`);
  }
  // Every address must pass: a host answering with one public and one private address would let the
  // connection pick the private one.
  for (const { address } of addresses) {
    const reason = refuse(address);
    if (reason) throw new ImageError(`remote image ${url.href} refused: ${host} is ${reason} (${address})`);
  }
  return addresses[0] as ResolvedAddress;
}

/** One request to a checked address; resolves with the response head. */
function get(url: URL, pinned: ResolvedAddress, signal: AbortSignal): Promise<IncomingMessage> {
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      lookup,
      signal,
      agent: false, // no pooled socket connected to an address checked for another URL
      headers: { accept: 'image/*', 'user-agent': 'deepseek-vl2' },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

async function readBody(response: IncomingMessage, href: string, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.destroy();
    throw new ImageError(`remote image ${href} is ${declared} bytes, more than the limit of ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      response.destroy();
      throw new ImageError(`remote image ${href} is more than the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/**
 * The limits of a fetch, defaults filled in.
 * @throws InvalidArgumentError for a limit that is not an integer in range.
 */
export function remoteFetchLimits(options: RemoteFetchOptions = {}) {
  const limits = {
    maxBytes: options.maxBytes ?? defaultRemoteMaxBytes,
    timeoutMs: options.timeoutMs ?? defaultRemoteTimeoutMs,
    maxRedirects: options.maxRedirects ?? defaultRemoteMaxRedirects,
  };
  for (const [name, least] of [
    ['maxBytes', 1],
    ['timeoutMs', 1],
    ['maxRedirects', 0],
  ] as const) {
    const value = limits[name];
    if (!Number.isSafeInteger(value) || value < least)
      throw new InvalidArgumentError(`remote fetch ${name} must be an integer >= ${least}, got ${value}`);
  }
  return limits;
}

/**
 * Fetches an http(s) URL's body within the limits.
 * @throws ImageError naming the URL and why: a refused scheme or address, a timeout, a size over the
 * limit, too many redirects, an HTTP error status or a network failure.
 */
export async function fetchRemote(href: string, options: RemoteFetchOptions = {}): Promise<Buffer> {
  const { maxBytes, timeoutMs, maxRedirects } = remoteFetchLimits(options);
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  let url: URL;
  try {
    url = new URL(href);
  } catch (error) {
    throw new ImageError(`malformed image URL ${href}`, { cause: error });
  }
  try {
    for (let redirects = 0; ; redirects++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new ImageError(`remote image ${url.href} refused: only http and https URLs are fetched`);
      const response = await get(url, await checkedAddress(url, options), signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location) {
        response.destroy();
        if (redirects >= maxRedirects)
          throw new ImageError(`remote image ${href}: more than ${maxRedirects} redirects`);
        url = new URL(location, url);
        continue;
      }
      if (status < 200 || status >= 300) {
        response.destroy();
        throw new ImageError(`fetching ${url.href} failed: HTTP ${status}`);
      }
      return await readBody(response, url.href, maxBytes);
    }
  } catch (error) {
    if (error instanceof ImageError) throw error;
    if (deadline.aborted)
      throw new ImageError(`fetching ${url.href} took longer than ${timeoutMs} ms`, { cause: error });
    throw new ImageError(`fetching ${url.href} failed: ${(error as Error).message}`, { cause: error });
  }
}
