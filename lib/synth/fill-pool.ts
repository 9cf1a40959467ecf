/**
 * Worker threads that generate random bf16 chunks, so that writing a synthetic checkpoint runs at
 * the disk's rate rather than one core's (one thread draws about 0.5 GB/s). Chunks come back in the
 * order they were asked for; a fixed set of buffers travels between the threads, so memory stays
 * bounded whatever the checkpoint size.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fillBf16Pairs } from './random.js';

/** The worker's program: fillBf16Pairs' own source, so it needs no module resolution in the worker. */
const workerSource = `
const { parentPort } = require('node:worker_threads');
const fill = ${fillBf16Pairs.toString()};
parentPort.on('message', ({ id, buffer, table, seed, elements }) => {
  fill(new Uint32Array(buffer, 0, Math.ceil(elements / 2)), new Uint32Array(table), seed);
  parentPort.postMessage({ id, buffer }, [buffer]);
});
`;

interface Job {
  resolve: (buffer: ArrayBuffer) => void;
  reject: (error: unknown) => void;
}

export class FillPool {
  private readonly workers: Worker[];
  private readonly free: ArrayBuffer[] = [];
  private readonly waitingForBuffer: Job[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private nextWorker = 0;
  private failure: unknown;

  /** threads: default one per core, at most 8 (more outruns any disk); chunkBytes: a chunk's largest size. */
  constructor(
    readonly chunkBytes: number,
    threads = Math.min(8, availableParallelism()),
  ) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => {
      const worker = new Worker(workerSource, { eval: true });
      worker.on('message', ({ id, buffer }: { id: number; buffer: ArrayBuffer }) => {
        const job = this.jobs.get(id) as Job;
        this.jobs.delete(id);
        job.resolve(buffer);
      });
      worker.on('error', (error) => this.fail(error));
      return worker;
    });
    for (let i = 0; i < this.buffers; i++) this.free.push(new ArrayBuffer(chunkBytes));
  }

  /** How many chunks may be in flight (asked for and not yet released). */
  get buffers(): number {
    return 2 * this.workers.length + 2;
  }

  /**
   * Starts generating elements bf16 values from table and seed, once a buffer is free; bytes
   * resolves when they are ready. Keep at most `buffers` chunks unreleased, or this waits forever.
   */
  async fill(table: Uint32Array, seed: number, elements: number): Promise<{ bytes: Promise<Uint8Array> }> {
    const buffer = await this.takeBuffer();
    const id = this.nextId++;
    const worker = this.workers[this.nextWorker++ % this.workers.length] as Worker;
    const done = new Promise<ArrayBuffer>((resolve, reject) => this.jobs.set(id, { resolve, reject }));
    worker.postMessage({ id, buffer, table: table.buffer, seed, elements }, [buffer]);
    const bytes = done.then((returned) => new Uint8Array(returned, 0, 2 * elements));
    // A failure surfaces where the caller awaits bytes; until then it is not an unhandled rejection.
    bytes.catch(() => {});
    return { bytes };
  }

  /** Hands a chunk's buffer back once its bytes are written. */
  release(bytes: Uint8Array): void {
    const buffer = bytes.buffer as ArrayBuffer;
    const waiter = this.waitingForBuffer.shift();
    if (waiter) waiter.resolve(buffer);
    else this.free.push(buffer);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private takeBuffer(): Promise<ArrayBuffer> {
    if (this.failure) return Promise.reject(this.failure);
    const buffer = this.free.pop();
    if (buffer) return Promise.resolve(buffer);
    return new Promise((resolve, reject) => this.waitingForBuffer.push({ resolve, reject }));
  }

  private fail(error: unknown): void {
    this.failure = error;
    for (const job of [...this.jobs.values(), ...this.waitingForBuffer]) job.reject(error);
    this.jobs.clear();
    this.waitingForBuffer.length = 0;
  }
}
