/**
 * Fails fast when the queue's Redis cannot be reached: BullMQ itself would retry the connection
 * forever, printing each failure, so a wrong address would look like a batch waiting for workers.
 */
import { Redis } from 'ioredis';
import { QueueError } from '../errors.js';
import type { QueueAddress } from './queue-address.js';

/** How long the first connection may take. */
const connectTimeoutMs = 5000;

export async function checkReachable(address: QueueAddress): Promise<void> {
  const { host, port } = address.connection;
  const probe = new Redis({
    ...address.connection,
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause: Error | undefined; // connect() rejects with 'Connection is closed'; this says why
  probe.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    cause ??= error as Error;
    throw new QueueError(
      `cannot reach the queue's Redis at ${host}:${port} (${cause.message}): is redis-server running there and reachable from here?`,
      { cause },
    );
  } finally {
    probe.disconnect();
  }
}
