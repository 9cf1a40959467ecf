/**
 * The remote-image fetcher refuses every non-public address (checked after DNS resolution and on
 * every redirect), and holds its byte, time and redirect limits; loadImage (the model's
 * allowRemoteImages) goes through it. The one HTTP server is on loopback: test host names resolve
 * through an injected resolver, and a test hook admits 127.0.0.1 where a test needs a "public" host.
 */
import { describe, expect, it } from 'vitest';
import { ImageError, InvalidArgumentError, loadImage } from '../../lib/index.js';
import { isPublicAddress, nonPublicReason } from '../../lib/net/address-policy.js';
import { fetchRemote } from '../../lib/net/safe-fetch.js';
import { allowTestHost, imageBytes, testResolve, useImageHost } from './image-host.js';

const host = useImageHost();
const local = (path: string) => `http://127.0.0.1:${host.port()}${path}`;
const named = (path: string) => `http://images.example:${host.port()}${path}`;

describe('address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'NAT64 address of a loopback'],
    ['64:ff9b::10.0.0.1', 'NAT64 address of a private'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['100.100.100.200', 'shared'],
    ['0.0.0.0', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['not-an-address', 'not an IP'],
  ])('%s is refused (%s)', (address, why) => {
    expect(nonPublicReason(address)).toContain(why);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('%s is public', (address) => expect(isPublicAddress(address)).toBe(true));
});

describe('fetchRemote refuses private destinations', () => {
  it.each([
    ['loopback by address', () => local('/image.png'), /127\.0\.0\.1 is a loopback address/],
    ['loopback by name', () => `http://localhost:${host.port()}/image.png`, /loopback/],
    ['IPv6 loopback', () => `http://[::1]:${host.port()}/image.png`, /loopback/],
    ['IPv4-mapped loopback', () => `http://[::ffff:127.0.0.1]:${host.port()}/`, /loopback/],
    ['a numeric loopback form', () => `http://2130706433:${host.port()}/`, /loopback/],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/iam/', /link-local/],
    ['a private network', () => 'http://10.0.0.1/image.png', /private/],
  ])('%s', async (_name, url, message) => {
    await expect(fetchRemote(url())).rejects.toThrow(message);
  });

  it('checks the addresses a name resolves to, every one of them', async () => {
    await expect(fetchRemote('http://metadata.example/', { resolve: testResolve })).rejects.toThrow(
      /metadata\.example is a link-local .*169\.254\.169\.254/,
    );
    await expect(fetchRemote('http://mixed.example/', { resolve: testResolve })).rejects.toThrow(
      /private address \(192\.168\.0\.1\)/,
    );
  });

  it('fetches from an allowed host (the test hook admits this loopback server only)', async () => {
    expect(await fetchRemote(named('/image.png'), allowTestHost)).toEqual(imageBytes);
    expect(
      await fetchRemote(named(`/redirect?to=${encodeURIComponent('/image.png')}`), allowTestHost),
    ).toEqual(imageBytes);
  });

  it.each([
    ['a private name', 'http://intranet.example/secret', /intranet\.example is a private address/],
    ['another loopback address', 'http://127.0.0.2/', /loopback/],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/', /link-local/],
    ['a file: URL', 'file:///etc/passwd', /only http and https/],
  ])('re-checks every redirect: an allowed host redirecting to %s is refused', async (_name, to, message) => {
    await expect(fetchRemote(named(`/redirect?to=${encodeURIComponent(to)}`), allowTestHost)).rejects.toThrow(
      message,
    );
  });
});

describe('fetchRemote limits', () => {
  it('refuses a body over the byte limit, declared or not', async () => {
    await expect(fetchRemote(named('/big'), { ...allowTestHost, maxBytes: 1000 })).rejects.toThrow(
      /1048576 bytes, more than the limit of 1000/,
    );
    await expect(fetchRemote(named('/big-chunked'), { ...allowTestHost, maxBytes: 1000 })).rejects.toThrow(
      /more than the limit of 1000 bytes/,
    );
  });

  it('gives up after the time limit', async () => {
    await expect(fetchRemote(named('/slow'), { ...allowTestHost, timeoutMs: 100 })).rejects.toThrow(
      /took longer than 100 ms/,
    );
  });

  it('follows at most maxRedirects redirects', async () => {
    await expect(fetchRemote(named('/loop'), allowTestHost)).rejects.toThrow(/more than 5 redirects/);
  });

  it('refuses limits that are not positive integers', async () => {
    await expect(fetchRemote(named('/image.png'), { ...allowTestHost, maxBytes: 0 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(fetchRemote(named('/image.png'), { ...allowTestHost, timeoutMs: 1.5 })).rejects.toThrow(
      /timeoutMs must be an integer >= 1/,
    );
  });

  it('reports HTTP errors and refuses other schemes', async () => {
    await expect(fetchRemote(named('/missing'), allowTestHost)).rejects.toThrow(/HTTP 404/);
    await expect(fetchRemote('ftp://example.com/x.png')).rejects.toThrow(/only http and https/);
    await expect(fetchRemote(named('/missing'), allowTestHost)).rejects.toBeInstanceOf(ImageError);
  });
});

describe("loadImage's remote URLs (loadModel's allowRemoteImages) go through the same fetcher", () => {
  it('refuses loopback and metadata addresses, and fetches through the policy it is given', async () => {
    await expect(loadImage(local('/image.png'), { allowRemote: true })).rejects.toThrow(/loopback/);
    await expect(loadImage('http://169.254.169.254/latest/', { allowRemote: true })).rejects.toThrow(
      /link-local/,
    );
    const image = await loadImage(named('/image.png'), { allowRemote: true, remote: allowTestHost });
    expect([image.width, image.height]).toEqual([20, 20]);
  });
});
