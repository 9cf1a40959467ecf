/**
 * `redis://HOST:PORT/NAME`: the Redis server a batch queue lives on and the queue's name. A user
 * and password may come before the host (`redis://user:secret@host:6379/name`); `rediss://`
 * connects over TLS.
 */
import { InvalidArgumentError } from '../errors.js';

export interface QueueAddress {
  /** The BullMQ queue's name (the URL's path). */
  name: string;
  /** Options for the Redis connection, as BullMQ (ioredis) takes them. */
  connection: { host: string; port: number; username?: string; password?: string; tls?: object };
}

const defaultRedisPort = 6379;
/** BullMQ joins key parts with ':', so a name may not contain one. */
const queueNamePattern = /^[A-Za-z0-9._-]+$/;

export function parseQueueAddress(text: string): QueueAddress {
  const expected = 'expected redis://HOST:PORT/NAME';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`queue address ${JSON.stringify(text)} is not a URL: ${expected}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new InvalidArgumentError(
      `queue address ${JSON.stringify(text)}: ${expected} (or rediss:// for TLS)`,
    );
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!queueNamePattern.test(name))
    throw new InvalidArgumentError(
      `queue address ${JSON.stringify(text)}: the queue name (the path) must be letters, digits, '.', '_' or '-': ${expected}`,
    );
  if (!url.hostname)
    throw new InvalidArgumentError(`queue address ${JSON.stringify(text)} has no host: ${expected}`);
  return {
    name,
    connection: {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : defaultRedisPort,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}
