/**
 * A request storm against one loaded model, free of vitest so the same code runs as a CPU test
 * (test/reliability/storm.test.ts, a few hundred requests) and as a plain script on the GPU machine
 * (test/cuda/run-storm.ts, 10,000 requests with --device cuda).
 *
 * Phase 1, the storm: `requests` chats through a KV cache too small for the load (preemption), with
 * `concurrency` in flight; a seeded mix of well-formed requests (text, some with an image, random
 * sampling options), requests aborted before they start, after some chunks or by a timer, streams the
 * consumer leaves early, and malformed requests (bad options, bad messages, broken images, prompts
 * past the context). Afterwards: every well-formed request ended `stop`/`length`, or `abort` when it
 * was aborted; every malformed one was refused with the typed error its fault calls for; every
 * completed greedy request (plain or with an image) produced exactly the tokens its prompt produces
 * alone (storm-answers.ts); nothing is still open at the deadline; a request after the storm
 * completes (the scheduler thread lives); the KV cache is whole again; RSS grew by at most a fixed
 * slack plus a bound per request completed since the baseline, which is taken after a first round of
 * the storm (a fifth of it, at least two per slot in flight), so the allocators' high-water mark for
 * this concurrency is in the baseline and growth is what counts (on a GPU, device memory is back to
 * that baseline too).
 *
 * Phase 2, close under load: a second model gets `concurrency` requests, close() is called while
 * they stream; each ends with an AbortError (or had finished), a request on the closed model is
 * refused, and RSS after the close is within a fixed bound of RSS after the storm.
 */
import { readFileSync } from 'node:fs';
// mulberry32, seeded, so a failing storm can be replayed by its seed.
import { seededRandom as random } from '../../bench/support/prompts.js';
import { EngineModel } from '../../lib/engine/native-model.js';
import {
  AbortError,
  type ChatMessage,
  ConstraintError,
  ContextOverflowError,
  type GenerateOptions,
  ImageError,
  InvalidArgumentError,
  type LoadOptions,
  loadModel,
  type Model,
  Vl2Error,
} from '../../lib/index.js';
import { FormatCompiler } from '../../lib/structured/format-compiler.js';
import { validator } from './ajv.js';
import { bf16Tolerance, soloGreedyDecode } from './bf16-golden-check.js';
import { goldenPath } from './golden.js';
import { goldenTokenizer } from './golden-tokenizer.js';
import { settledRss } from './memory.js';
import {
  type AnswerCheck,
  type AnsweredRequest,
  checkAnswersAlone,
  isGreedy,
  type NearTieJudge,
} from './storm-answers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface StormOptions {
  /** A golden model variant (default 'tiny', with the fixture tokenizer). */
  variant?: 'tiny' | 'small' | 'base';
  device?: 'cpu' | 'cuda';
  requests: number;
  /** Requests in flight at once (default 32). */
  concurrency?: number;
  /** KV cache capacity: small, so that the storm preempts (default 1024 tokens). */
  cacheTokens?: number;
  /** Seed of the request mix (default 1). */
  seed?: number;
  /** Everything must have settled by then (default 10 minutes). */
  deadlineMs?: number;
  /**
   * RSS after the storm may exceed the baseline by at most rssSlackBytes + rssPerRequestBytes for
   * each request completed after the baseline (defaults 24 MiB and 64 KiB). Without a leak the CPU
   * runs moved by -35 to +23 MiB whatever their size (100 to 2,500 requests: the allocators' state,
   * not a rate), hence the fixed slack; a leak of 256 KiB per request outgrows the bound by 192 KiB a
   * request, past the slack from about 130 completed requests on (docs/RELIABILITY.md, section 3).
   */
  rssPerRequestBytes?: number;
  rssSlackBytes?: number;
  /** RSS after phase 2 (a second model loaded, streamed, closed) may exceed RSS after the storm by this (default 32 MiB). */
  rssCloseBoundBytes?: number;
  /** Compare every completed greedy request with its prompt run alone (default true). */
  checkAnswers?: boolean;
  /**
   * Judge the RSS readings (default true). Off under AddressSanitizer, whose quarantine keeps freed
   * memory resident (RSS then says nothing about leaks); LeakSanitizer checks leaks there instead.
   */
  checkRss?: boolean;
  /**
   * Test only: keep this many bytes of resident off-heap memory (a filled Buffer) per completed
   * request until the storm returns, a leak the RSS check must catch (test/reliability/storm-leak.test.ts).
   */
  leakBytesPerCompletedRequest?: number;
  /** CPU worker threads (default 1 on the CPU, leaving the JS thread a core). */
  threads?: number;
  log?: (line: string) => void;
}

type Kind =
  | 'plain'
  | 'image'
  | 'abortBefore'
  | 'abortAfterChunks'
  | 'abortTimer'
  | 'leaveEarly'
  | 'badOptions'
  | 'badMessages'
  | 'badImage'
  | 'overflow'
  | 'constrained'
  | 'badFormat';

const malformedKinds = new Set<Kind>(['badOptions', 'badMessages', 'badImage', 'overflow', 'badFormat']);

/**
 * The constrained requests' schema: every part bounded (short strings, enums, whitespace runs of at
 * most 16), so a complete answer fits the 400 tokens they may take and each must end by itself.
 */
const stormSchema = {
  type: 'object',
  properties: {
    label: { type: 'string', maxLength: 8 },
    count: { type: 'integer', minimum: 0, maximum: 999 },
    kind: { enum: ['cat', 'dog', null] },
    ok: { type: 'boolean' },
  },
  required: ['label', 'count'],
  additionalProperties: false,
};
const stormValidate = validator(stormSchema);

/** The share of each kind of request, out of 100. */
const mix: [Kind, number][] = [
  ['plain', 40],
  ['image', 6],
  ['constrained', 5],
  ['badFormat', 1],
  ['abortBefore', 4],
  ['abortAfterChunks', 10],
  ['abortTimer', 6],
  ['leaveEarly', 6],
  ['badOptions', 8],
  ['badMessages', 6],
  ['badImage', 4],
  ['overflow', 4],
];

export interface StormReport {
  device: string;
  variant: string;
  requests: number;
  concurrency: number;
  cacheTokens: number;
  /** Requests by kind. */
  kinds: Record<string, number>;
  completed: number;
  aborted: number;
  /** Malformed requests refused with the expected typed error. */
  refused: number;
  /** Requests that ended in a way their kind does not allow: each with the reason. */
  unexpected: string[];
  /** Requests not settled by the deadline. */
  stuck: number;
  preemptions: number;
  completionTokens: number;
  stormMs: number;
  /** The request after the storm ended with stop/length. */
  afterStormCompleted: boolean;
  cacheFreeAfter: number;
  cacheCapacity: number;
  /** After the four warm-up requests, before any storm (informational). */
  rssBeforeWarmRoundBytes: number;
  /** Requests in the first round, after which the baseline is taken. */
  warmRoundRequests: number;
  /** After the first storm round: what the later RSS readings are compared with. */
  rssBaselineBytes: number;
  /** Requests completed after the baseline: the RSS bound grows with them. */
  completedAfterBaseline: number;
  rssAfterStormBytes: number;
  rssAfterCloseBytes: number;
  rssPerRequestBytes: number;
  rssSlackBytes: number;
  /** rssSlackBytes + rssPerRequestBytes x completedAfterBaseline. */
  rssBoundBytes: number;
  rssCloseBoundBytes: number;
  /** Test only: bytes kept by leakBytesPerCompletedRequest. */
  leakedBytes: number;
  /** Completed greedy requests against their prompt alone (undefined when checkAnswers is false). */
  answers?: AnswerCheck;
  /** GPU: device memory free before and after the storm (0 on the CPU). */
  deviceFreeBaselineBytes: number;
  deviceFreeAfterBytes: number;
  /** Phase 2: requests in flight at close(), how many ended with AbortError or had completed. */
  closeInFlight: number;
  closeAborted: number;
  closeCompleted: number;
  closeUnexpected: string[];
  /** Every check, true when it held. */
  checks: Record<string, boolean>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Planned {
  index: number;
  kind: Kind;
  messages: ChatMessage[];
  options: GenerateOptions;
  /** abortAfterChunks / leaveEarly: after this many chunks; abortTimer: after this many ms. */
  after: number;
}

function plan(index: number, next: () => number, image: Buffer, maxPositions: number): Planned {
  let roll = next() * 100;
  let kind: Kind = 'plain';
  for (const [k, share] of mix) {
    if (roll < share) {
      kind = k;
      break;
    }
    roll -= share;
  }
  const words = 1 + Math.floor(next() * 60);
  const text = `Request ${index}: ${'tell me more about the storm '.repeat(Math.ceil(words / 6)).slice(0, words * 6)}`;
  const sampling: GenerateOptions =
    next() < 0.5
      ? {}
      : { temperature: 0.2 + next(), topP: 0.5 + next() / 2, topK: Math.floor(next() * 50), seed: index };
  const options: GenerateOptions = { maxTokens: 1 + Math.floor(next() * 48), ...sampling };
  const after = 1 + Math.floor(next() * 6);
  const user = (content: string, images?: (string | Buffer)[]): ChatMessage[] => [
    { role: 'user', content, ...(images ? { images } : {}) },
  ];
  switch (kind) {
    case 'image':
      return { index, kind, messages: user(`<image>\n${text}`, [image]), options, after };
    case 'badOptions': {
      const bad: GenerateOptions[] = [
        { temperature: -1 },
        { topP: 2 },
        { maxTokens: 0 },
        { seed: -5 },
        { stop: [''] },
        { nonsense: true } as GenerateOptions,
      ];
      return {
        index,
        kind,
        messages: user(text),
        options: bad[index % bad.length] as GenerateOptions,
        after,
      };
    }
    case 'badMessages': {
      const bad = [
        [{ role: 'robot', content: text }],
        [{ role: 'user', content: 5 }],
        [{ role: 'user', content: '<image> two <image>', images: [image] }],
        [],
        [{ role: 'user', content: [{ type: 'text', text: 7 }] }],
      ] as unknown as ChatMessage[][];
      return { index, kind, messages: bad[index % bad.length] as ChatMessage[], options, after };
    }
    case 'badImage': {
      const broken = Buffer.from(image.subarray(0, Math.max(8, Math.floor(image.length / 3))));
      return { index, kind, messages: user(`<image>\n${text}`, [broken]), options, after };
    }
    case 'overflow':
      return { index, kind, messages: user('x '.repeat(maxPositions + 16)), options, after };
    case 'constrained':
      return {
        index,
        kind,
        messages: user(text),
        options: { ...options, maxTokens: 400, responseFormat: { type: 'json_schema', schema: stormSchema } },
        after,
      };
    case 'badFormat':
      return {
        index,
        kind,
        messages: user(text),
        options: { responseFormat: { type: 'json_schema', schema: { type: 'array', uniqueItems: true } } },
        after,
      };
    default:
      return { index, kind, messages: user(text), options, after };
  }
}

function validJson(text: string): boolean {
  try {
    return stormValidate(JSON.parse(text));
  } catch {
    return false;
  }
}

type Outcome = { result: 'completed' | 'aborted' | 'refused'; tokenIds: number[] } | { unexpected: string };

async function runOne(model: Model, request: Planned, next: () => number): Promise<Outcome> {
  const controller = new AbortController();
  const { kind } = request;
  const aborts = kind === 'abortBefore' || kind === 'abortAfterChunks' || kind === 'abortTimer';
  if (kind === 'abortBefore') controller.abort();
  let timer: NodeJS.Timeout | undefined;
  if (kind === 'abortTimer') timer = setTimeout(() => controller.abort(), request.after * next() * 20);
  const options = { ...request.options, ...(aborts ? { signal: controller.signal } : {}) };
  let chunks = 0;
  let finish: string | undefined;
  const tokenIds: number[] = [];
  let text = '';
  try {
    const stream = model.chat(request.messages, options);
    for await (const chunk of stream) {
      chunks++;
      tokenIds.push(...chunk.tokenIds);
      text += chunk.text;
      if (chunk.finishReason) finish = chunk.finishReason;
      if (kind === 'abortAfterChunks' && chunks === request.after) controller.abort();
      if (kind === 'leaveEarly' && chunks === request.after) break;
    }
    if (kind === 'leaveEarly' && finish === undefined) return { result: 'aborted', tokenIds };
    if (malformedKinds.has(kind)) return { unexpected: `#${request.index} ${kind}: accepted (${finish})` };
    if (kind === 'constrained' && (finish !== 'stop' || !validJson(text)))
      return {
        unexpected: `#${request.index} constrained: ${finish}, ${JSON.stringify(text).slice(0, 200)}`,
      };
    if (finish === 'stop' || finish === 'length') return { result: 'completed', tokenIds };
    if (finish === 'abort' && aborts) return { result: 'aborted', tokenIds };
    return { unexpected: `#${request.index} ${kind}: ended with finishReason ${finish}` };
  } catch (error) {
    const expected: Partial<Record<Kind, new (...args: never[]) => Vl2Error>> = {
      badOptions: InvalidArgumentError,
      badMessages: InvalidArgumentError,
      badImage: ImageError,
      overflow: ContextOverflowError,
      badFormat: ConstraintError,
      abortBefore: AbortError,
      abortAfterChunks: AbortError,
      abortTimer: AbortError,
    };
    const want = expected[kind];
    if (want && error instanceof want)
      return { result: malformedKinds.has(kind) ? 'refused' : 'aborted', tokenIds };
    const name = error instanceof Vl2Error ? `${error.name} ${error.code}` : String(error);
    return {
      unexpected: `#${request.index} ${kind}: threw ${name}: ${(error as Error).message?.slice(0, 200)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Settles when every promise has, or at the deadline; returns how many were still open. */
async function settleBy(promises: Promise<unknown>[], deadline: number): Promise<number> {
  let open = promises.length;
  for (const p of promises) p.finally(() => open--).catch(() => {});
  const all = Promise.allSettled(promises);
  // The deadline's timer is cleared once all have settled: left pending, it would keep a script's
  // event loop alive until the deadline (test/cuda/run-storm.ts printed its checks and hung).
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  await Promise.race([all, expired]);
  clearTimeout(timer);
  return open;
}

/** The GPU's judge of a difference: the request's prompt decoded alone on a second engine, with margins. */
async function soloJudge(model: Model, modelDir: string): Promise<NearTieJudge & { close(): void }> {
  const engine = await EngineModel.load(modelDir, { device: 'cuda', cacheTokens: 4096 });
  const eos = engine.checkpoint.modelConfig.language.eosTokenId;
  // Constrained requests are judged as they decode: among the tokens their grammar allows.
  const formats = new FormatCompiler(model.processor.tokenizer, engine.info().vocabSize);
  return {
    tieMargin: bf16Tolerance.greedyMargin,
    async solo(request, tokens) {
      const { prompt } = await model.prepare(request.messages);
      const format = request.options.responseFormat;
      const grammar = format ? await formats.compile(format) : undefined;
      const decoded = await soloGreedyDecode(engine, prompt, tokens + 1, eos, grammar);
      // The storm's tokens leave out the EOS that ends an answer.
      if (decoded.tokens.at(-1) === eos) {
        decoded.tokens.pop();
        decoded.margins.pop();
      } else if (decoded.tokens.length > tokens) {
        decoded.tokens.length = tokens;
        decoded.margins.length = tokens;
      }
      return decoded;
    },
    close: () => engine.close(),
  };
}

async function waitForCache(model: Model, deadline: number): Promise<void> {
  // Requests that ended by a stop string or early leave are freed on the scheduler's next turn.
  while (Date.now() < deadline && model.info().cacheFreeTokens !== model.info().cacheCapacityTokens)
    await sleep(10);
}

export async function runStorm(options: StormOptions): Promise<StormReport> {
  const variant = options.variant ?? 'tiny';
  const device = options.device ?? 'cpu';
  const concurrency = options.concurrency ?? 32;
  const cacheTokens = options.cacheTokens ?? 1024;
  const rssPerRequestBytes = options.rssPerRequestBytes ?? 64 * KiB;
  const rssSlackBytes = options.rssSlackBytes ?? 24 * MiB;
  const rssCloseBoundBytes = options.rssCloseBoundBytes ?? 32 * MiB;
  const leaked: Buffer[] = [];
  // Prompt, options and tokens of each completed greedy request: under 1 KiB each, held through the
  // RSS readings, far inside the 64 KiB per request that the bound allows.
  const answered: AnsweredRequest[] = [];
  const deadline = Date.now() + (options.deadlineMs ?? 600_000);
  const log = options.log ?? (() => {});
  const next = random(options.seed ?? 1);
  const load: LoadOptions = {
    device,
    cacheTokens,
    threads: options.threads ?? (device === 'cpu' ? 1 : undefined),
    tokenizer: goldenTokenizer(variant),
  };
  const modelDir = goldenPath('models', variant);
  const image = readFileSync(goldenPath('images', 'synthetic-385x383.png'));
  const model = await loadModel(modelDir, load);
  const maxPositions = model.info().maxPositions;
  const report: StormReport = {
    device,
    variant,
    requests: options.requests,
    concurrency,
    cacheTokens,
    kinds: {},
    completed: 0,
    aborted: 0,
    refused: 0,
    unexpected: [],
    stuck: 0,
    preemptions: 0,
    completionTokens: 0,
    stormMs: 0,
    afterStormCompleted: false,
    cacheFreeAfter: 0,
    cacheCapacity: model.info().cacheCapacityTokens,
    rssBeforeWarmRoundBytes: 0,
    warmRoundRequests: 0,
    rssBaselineBytes: 0,
    completedAfterBaseline: 0,
    rssAfterStormBytes: 0,
    rssAfterCloseBytes: 0,
    rssPerRequestBytes,
    rssSlackBytes,
    rssBoundBytes: rssSlackBytes,
    rssCloseBoundBytes,
    leakedBytes: 0,
    deviceFreeBaselineBytes: 0,
    deviceFreeAfterBytes: 0,
    closeInFlight: 0,
    closeAborted: 0,
    closeCompleted: 0,
    closeUnexpected: [],
    checks: {},
  };
  try {
    // Warm-up: allocators, the vision path and the prefix cache reach their steady size first.
    const warm = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        model.generate(
          [
            {
              role: 'user',
              content: i === 0 ? '<image>\nwarm up' : `warm up ${i}`,
              ...(i === 0 ? { images: [image] } : {}),
            },
          ],
          { maxTokens: 8 },
        ),
      ),
    );
    report.completionTokens += warm.reduce((n, r) => n + r.tokenIds.length, 0);
    await waitForCache(model, deadline);
    report.rssBeforeWarmRoundBytes = settledRss();
    log(
      `storm: ${options.requests} requests on ${variant}/${device}, ${concurrency} in flight, cache ${cacheTokens} tokens`,
    );

    const started = Date.now();
    const preemptionsBefore = model.stats().preemptions;
    let issued = 0;
    let limit = 0;
    const worker = async () => {
      while (issued < limit && Date.now() < deadline) {
        const request = plan(issued++, next, image, maxPositions);
        report.kinds[request.kind] = (report.kinds[request.kind] ?? 0) + 1;
        const outcome = await runOne(model, request, next);
        if ('unexpected' in outcome) report.unexpected.push(outcome.unexpected);
        else {
          report[outcome.result]++;
          report.completionTokens += outcome.tokenIds.length;
        }
        if ('result' in outcome && outcome.result === 'completed') {
          if (isGreedy(request.options) && ['plain', 'image', 'constrained'].includes(request.kind))
            answered.push({ ...request, tokenIds: outcome.tokenIds });
          if (options.leakBytesPerCompletedRequest)
            leaked.push(Buffer.alloc(options.leakBytesPerCompletedRequest, 0xa5)); // filled: resident
        }
        if ((report.completed + report.aborted + report.refused) % 1000 === 0) {
          log(`storm: ${report.completed + report.aborted + report.refused} settled`);
        }
      }
    };
    const round = async (until: number) => {
      limit = until;
      const workers = Array.from({ length: concurrency }, () => worker());
      report.stuck += await settleBy(workers, deadline);
    };
    // The first round, at full concurrency, brings every allocator to the high-water mark this load
    // needs (glibc arenas, the scheduler's buffers, sharp's cache; on a GPU pinned staging and graph
    // captures); the baseline is taken after it, so the check below sees growth, not that plateau.
    await round(Math.min(options.requests, Math.max(concurrency * 2, Math.floor(options.requests / 5))));
    await waitForCache(model, deadline);
    report.rssBaselineBytes = settledRss();
    report.deviceFreeBaselineBytes = model.info().deviceFreeBytes;
    report.warmRoundRequests = issued;
    const completedAtBaseline = report.completed;
    await round(options.requests);
    report.stuck += options.requests - issued; // never issued: the deadline came first
    report.stormMs = Date.now() - started;
    report.preemptions = model.stats().preemptions - preemptionsBefore;
    report.completedAfterBaseline = report.completed - completedAtBaseline;
    report.rssBoundBytes = rssSlackBytes + rssPerRequestBytes * report.completedAfterBaseline;

    const after = await model.generate([{ role: 'user', content: 'Are you still there?' }], { maxTokens: 4 });
    report.afterStormCompleted = after.finishReason === 'length' || after.finishReason === 'stop';
    await waitForCache(model, deadline);
    report.cacheFreeAfter = model.info().cacheFreeTokens;
    report.rssAfterStormBytes = settledRss();
    report.deviceFreeAfterBytes = model.info().deviceFreeBytes;
    // After the readings, so the answers' own runs do not count in them.
    if (options.checkAnswers ?? true) {
      const judge = device === 'cuda' ? await soloJudge(model, modelDir) : undefined;
      try {
        report.answers = await checkAnswersAlone(model, answered, deadline, judge);
      } finally {
        judge?.close();
      }
    }
  } finally {
    await model.close();
  }

  // Phase 2: close() with requests streaming.
  const closing = await loadModel(modelDir, load);
  const streams = Array.from({ length: concurrency }, (_, i) =>
    (async (): Promise<'aborted' | 'completed' | string> => {
      try {
        const result = await closing.generate([{ role: 'user', content: `Write at length, ${i}.` }], {
          maxTokens: 200,
        });
        return result.finishReason === 'abort' ? `finishReason abort without an AbortError` : 'completed';
      } catch (error) {
        return error instanceof AbortError ? 'aborted' : `threw ${String(error)}`;
      }
    })(),
  );
  report.closeInFlight = streams.length;
  // Close once the first tokens flow: some requests decode, others still wait or prefill.
  while (closing.stats().steps < 3 && Date.now() < deadline) await sleep(5);
  await closing.close();
  const stillOpen = await settleBy(streams, deadline);
  report.stuck += stillOpen;
  for (const outcome of await Promise.all(
    streams.map((s) => Promise.race([s, sleep(0).then(() => 'stuck')])),
  )) {
    if (outcome === 'aborted') report.closeAborted++;
    else if (outcome === 'completed') report.closeCompleted++;
    else report.closeUnexpected.push(outcome);
  }
  const refusedAfterClose = await closing
    .generate([{ role: 'user', content: 'after close' }], { maxTokens: 2 })
    .then(
      () => false,
      (error) => error instanceof AbortError,
    );
  report.rssAfterCloseBytes = settledRss();
  // Read after the last RSS reading, so the test-only leak is held until then.
  report.leakedBytes = leaked.reduce((n, buffer) => n + buffer.length, 0);

  report.checks = {
    'every request settled by the deadline': report.stuck === 0,
    'every request ended as its kind allows': report.unexpected.length === 0,
    'completed + aborted + refused = requests':
      report.completed + report.aborted + report.refused === options.requests,
    'the cache forced preemption': report.preemptions > 0,
    'a request after the storm completes': report.afterStormCompleted,
    'the KV cache is whole again': report.cacheFreeAfter === report.cacheCapacity,
    ...(report.answers
      ? {
          'every completed greedy request answered as its prompt alone':
            report.answers.mismatches.length === 0 &&
            report.answers.checked === answered.length &&
            report.answers.checked > 0,
        }
      : {}),
    'close() ends every stream (AbortError or completed)':
      report.closeUnexpected.length === 0 &&
      report.closeAborted + report.closeCompleted === report.closeInFlight,
    'close() aborted requests in flight': report.closeAborted > 0,
    'a request on a closed model is refused with AbortError': refusedAfterClose,
  };
  if (options.checkRss ?? true) {
    report.checks['RSS growth after the storm within slack + a bound per completed request'] =
      report.rssAfterStormBytes - report.rssBaselineBytes <= report.rssBoundBytes;
    report.checks['RSS after close within its bound of RSS after the storm'] =
      report.rssAfterCloseBytes - report.rssAfterStormBytes <= rssCloseBoundBytes;
  }
  if (device === 'cuda') {
    // Device memory is reserved at load (weights, cache, activations): a storm may not take more.
    report.checks['device memory back to its baseline (within 64 MiB)'] =
      report.deviceFreeBaselineBytes - report.deviceFreeAfterBytes <= 64 * 1024 * 1024;
  }
  return report;
}

/** The report as lines for a log or a test failure. */
export function describeStorm(report: StormReport): string[] {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return [
    `storm ${report.variant}/${report.device}: ${report.requests} requests (${Object.entries(report.kinds)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}), ${report.concurrency} in flight, cache ${report.cacheTokens} tokens`,
    `  completed ${report.completed}, aborted ${report.aborted}, refused ${report.refused}, unexpected ${report.unexpected.length}, stuck ${report.stuck}`,
    `  ${report.completionTokens} tokens in ${(report.stormMs / 1000).toFixed(1)} s, ${report.preemptions} preemptions`,
    `  RSS before the storm ${mib(report.rssBeforeWarmRoundBytes)}, baseline after the first ${report.warmRoundRequests} requests ${mib(report.rssBaselineBytes)}, after storm ${mib(report.rssAfterStormBytes)} (+${mib(report.rssAfterStormBytes - report.rssBaselineBytes)} over ${report.completedAfterBaseline} completed requests, ${((report.rssAfterStormBytes - report.rssBaselineBytes) / Math.max(1, report.completedAfterBaseline) / 1024).toFixed(1)} KiB each; bound ${mib(report.rssSlackBytes)} + ${(report.rssPerRequestBytes / 1024).toFixed(0)} KiB each = ${mib(report.rssBoundBytes)}), after close ${mib(report.rssAfterCloseBytes)} (bound +${mib(report.rssCloseBoundBytes)} over after storm)${report.leakedBytes ? `; test leak held: ${mib(report.leakedBytes)}` : ''}`,
    ...(report.answers
      ? [
          `  answers: ${report.answers.checked} completed greedy requests (${report.answers.withImage} with an image; ${report.answers.distinct} distinct prompts) against the prompt alone in ${(report.answers.ms / 1000).toFixed(1)} s, ${report.answers.mismatches.length} mismatched, ${report.answers.nearTies} accepted as near ties of the solo decode`,
        ]
      : []),
    ...(report.device === 'cuda'
      ? [
          `  device free: baseline ${mib(report.deviceFreeBaselineBytes)}, after ${mib(report.deviceFreeAfterBytes)}`,
        ]
      : []),
    `  close under load: ${report.closeInFlight} in flight, ${report.closeAborted} aborted, ${report.closeCompleted} completed`,
    ...Object.entries(report.checks).map(([check, ok]) => `  ${ok ? 'ok  ' : 'FAIL'} ${check}`),
    ...report.unexpected.slice(0, 20).map((u) => `  unexpected: ${u}`),
    ...report.closeUnexpected.slice(0, 20).map((u) => `  unexpected at close: ${u}`),
    ...(report.answers?.mismatches.slice(0, 10).map((m) => `  answer mismatch: ${m}`) ?? []),
  ];
}
