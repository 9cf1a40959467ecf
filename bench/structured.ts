/**
 * Structured output's cost: decode tokens/s with a 20-property JSON schema against unconstrained
 * decoding of the same model in the same run, at batch 1 and 64; the first run of a schema (its
 * grammar states and token masks built as they are first visited) and the next (read from the
 * table); and the schema's compile time, new and from the cache. The brief's bars: constrained
 * >= 95% of unconstrained, a new schema < 50 ms, a cached one < 1 ms.
 *   node out/bench/structured.js [--device cuda|cpu] [--variant tiny] [--layers N]
 *                               [--model DIR --tokenizer FILE] [--batches 1,64] [--max-tokens 256]
 */
import { parseArgs } from 'node:util';
import { loadModel } from '../lib/load-model.js';
import type { LoadedModel as Model } from '../lib/model.js';
import type { GenerateOptions } from '../lib/options.js';
import { FormatCompiler } from '../lib/structured/format-compiler.js';
import type { ResponseFormat } from '../lib/structured/response-format.js';
import type { VariantName } from '../lib/synth/variants.js';
import { benchModel, fixtureTokenizer } from './support/synthetic-model.js';
import { printTable } from './support/table.js';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cuda' },
    variant: { type: 'string', default: 'tiny' },
    layers: { type: 'string' },
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    batches: { type: 'string', default: '1,64' },
    'max-tokens': { type: 'string', default: '256' },
  },
});
const device = values.device as 'cpu' | 'cuda';
const variant = values.variant as VariantName;
const depth = values.layers ? Number(values.layers) : { tiny: 12, small: 27, base: 30 }[variant];
const maxTokens = Number(values['max-tokens']);

/** 20 properties of every common kind, strings long enough that answers run to maxTokens. */
function twentyProperties(tag: string): object {
  const properties: Record<string, object> = {};
  const kinds = [
    { type: 'string', maxLength: 48 },
    { type: 'integer', minimum: 0, maximum: 100000 },
    { type: 'number', minimum: -1000, maximum: 1000 },
    { type: 'boolean' },
    { enum: ['low', 'medium', 'high'] },
    { type: 'array', maxItems: 4, items: { type: 'string', maxLength: 16 } },
    { type: 'string', format: 'date' },
    { type: ['string', 'null'], maxLength: 24 },
  ];
  for (let i = 0; i < 20; i++) properties[`${tag}_${i}`] = kinds[i % kinds.length] as object;
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

interface Run {
  tokens: number;
  decodeSeconds: number;
}

/** `batch` requests at once; decode time is the wall time after the last first token. */
async function run(model: Model, batch: number, options: GenerateOptions, seed: number): Promise<Run> {
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: batch }, (_, i) =>
      model.generate([{ role: 'user', content: `Fill in record ${seed + i}.` }], {
        ...options,
        temperature: 1,
        seed: seed + i,
        maxTokens,
      }),
    ),
  );
  const wall = (performance.now() - started) / 1000;
  const prefill = Math.max(...results.map((r) => r.timings.timeToFirstTokenMs)) / 1000;
  return {
    tokens: results.reduce((n, r) => n + r.usage.completionTokens - 1, 0),
    decodeSeconds: Math.max(wall - prefill, 1e-9),
  };
}

const given = values.model;
const { dir, cleanup } = await benchModel(given, depth, variant);
const tokenizer = values.tokenizer ?? (given ? undefined : fixtureTokenizer());
const model = await loadModel(dir, { device, ...(tokenizer ? { tokenizer } : {}) });
try {
  const info = model.info();
  console.log(`structured output: ${variant} on ${info.backend} (${info.device})`);

  // Compile times: the vocabulary once per model, then a new schema, then the same schema again.
  const compiler = new FormatCompiler(model.processor.tokenizer, info.vocabSize);
  let at = performance.now();
  await compiler.compile({ type: 'json_schema', schema: twentyProperties('warmup') });
  const vocabularyAndFirstMs = performance.now() - at;
  const timings: Record<string, string | number>[] = [];
  const fresh: ResponseFormat = { type: 'json_schema', schema: twentyProperties('fresh') };
  at = performance.now();
  await compiler.compile(fresh);
  timings.push({ what: 'a new 20-property schema', ms: performance.now() - at, bar: '< 50' });
  at = performance.now();
  await compiler.compile({ type: 'json_schema', schema: twentyProperties('fresh') });
  timings.push({ what: 'the same schema again (cache)', ms: performance.now() - at, bar: '< 1' });
  timings.push({ what: 'vocabulary + first schema (once per model)', ms: vocabularyAndFirstMs, bar: '' });
  printTable('compile', timings);

  const rows: Record<string, string | number>[] = [];
  for (const batch of String(values.batches).split(',').map(Number)) {
    const schema: ResponseFormat = { type: 'json_schema', schema: twentyProperties(`b${batch}`) };
    await run(model, Math.min(batch, 4), {}, 1_000_000); // warm the engine (graphs, buffers)
    const free = await run(model, batch, {}, 0);
    const cold = await run(model, batch, { responseFormat: schema }, 0);
    const warm = await run(model, batch, { responseFormat: schema }, 0);
    const rate = (r: Run) => r.tokens / r.decodeSeconds;
    for (const [what, r] of [
      ['unconstrained', free],
      ['schema, first run', cold],
      ['schema, again', warm],
    ] as const) {
      rows.push({
        batch,
        run: what,
        tokens: r.tokens,
        'decode s': r.decodeSeconds,
        'tokens/s': rate(r),
        '% of unconstrained': (100 * rate(r)) / rate(free),
      });
    }
  }
  printTable(`decode with a 20-property JSON schema (temperature 1, up to ${maxTokens} tokens)`, rows);
} finally {
  await model.close();
  await cleanup();
}
