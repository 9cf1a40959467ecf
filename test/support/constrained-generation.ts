/**
 * Constrained generation checked end to end on the golden random-weight models, where only the
 * constraint can make an answer valid: every answer sampled at temperature 1 over many seeds,
 * plain and streamed, must end by itself (finishReason 'stop') and validate: JSON Schema answers
 * with ajv, json_object answers parse as an object, regex answers match the whole pattern, grammar
 * answers are accepted by the reference recognizer, grounding answers parse into as many objects as
 * they open. Shared by the CPU test (test/structured) and the GPU script (test/cuda).
 */
import { parseGrounding } from '../../lib/grounding.js';
import { type Device, loadModel, type ResponseFormat } from '../../lib/index.js';
import { validator } from './ajv.js';
import type { CheckLine } from './bf16-golden-check.js';
import { goldenPath, type ModelVariant } from './golden.js';
import { goldenTokenizer } from './golden-tokenizer.js';
import { ReferenceGrammar } from './grammar-reference.js';

/** Hand-written schemas: together they use every keyword lib/structured supports. */
export const constrainedSchemas: Record<string, object> = {
  receipt: {
    type: 'object',
    properties: {
      merchant: { type: 'string', minLength: 1, maxLength: 24 },
      date: { type: 'string', format: 'date' },
      total: { type: 'number', minimum: 0, maximum: 10000 },
      currency: { enum: ['USD', 'EUR', 'CNY'] },
      items: {
        type: 'array',
        minItems: 1,
        maxItems: 3,
        items: {
          type: 'object',
          properties: {
            name: { type: 'string', maxLength: 16 },
            quantity: { type: 'integer', minimum: 1, maximum: 99 },
            price: { type: ['number', 'null'] },
          },
          required: ['name', 'quantity'],
          additionalProperties: false,
        },
      },
      paid: { type: 'boolean' },
    },
    required: ['merchant', 'total', 'items'],
    additionalProperties: false,
  },
  kinds: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      at: { type: 'string', format: 'date-time' },
      version: { const: 2 },
      shape: {
        anyOf: [
          {
            type: 'object',
            properties: { radius: { type: 'integer', exclusiveMinimum: 0, maximum: 50 } },
            required: ['radius'],
            additionalProperties: false,
          },
          {
            type: 'array',
            prefixItems: [
              { type: 'integer', minimum: -5, maximum: 5 },
              { type: 'integer', minimum: -5, maximum: 5 },
            ],
            minItems: 2,
            maxItems: 2,
          },
        ],
      },
      tag: { oneOf: [{ type: 'string', maxLength: 6 }, { type: 'null' }] },
    },
    required: ['id', 'version', 'shape'],
    additionalProperties: false,
  },
  tree: {
    $defs: {
      node: {
        type: 'object',
        properties: {
          value: { type: 'integer', minimum: -100, maximum: 100 },
          // At most one child: a random model's tree then ends (two would let it branch on and on).
          children: { type: 'array', maxItems: 1, items: { $ref: '#/$defs/node' } },
        },
        required: ['value'],
        additionalProperties: false,
      },
    },
    $ref: '#/$defs/node',
  },
  text: { type: 'string', maxLength: 40 },
};

export const constrainedRegexes = [
  '[A-Z][a-z]{2,8} \\d{3}',
  '(yes|no|maybe)',
  '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z',
];

export const constrainedGrammar = String.raw`
root ::= "(" expr ")"
expr ::= term ( " " [+*] " " term ){0,3}
term ::= [1-9] [0-9]? | "(" expr ")"`;

interface FormatCase {
  name: string;
  format: ResponseFormat;
  valid(text: string): boolean;
}

function cases(): FormatCase[] {
  const out: FormatCase[] = [];
  for (const [name, schema] of Object.entries(constrainedSchemas)) {
    const validate = validator(schema);
    out.push({
      name: `json_schema ${name}`,
      format: { type: 'json_schema', schema },
      valid: (text) => {
        try {
          return validate(JSON.parse(text));
        } catch {
          return false;
        }
      },
    });
  }
  out.push({
    name: 'json_object',
    format: { type: 'json_object' },
    valid: (text) => {
      try {
        const value = JSON.parse(text);
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      } catch {
        return false;
      }
    },
  });
  for (const pattern of constrainedRegexes) {
    const whole = new RegExp(`^(?:${pattern})$`, 'u');
    out.push({
      name: `regex ${pattern}`,
      format: { type: 'regex', pattern },
      valid: (text) => whole.test(text),
    });
  }
  const reference = ReferenceGrammar.parse(constrainedGrammar);
  out.push({
    name: 'grammar',
    format: { type: 'grammar', grammar: constrainedGrammar },
    valid: (t) => reference.accepts(t),
  });
  out.push({
    name: 'grounding',
    format: { type: 'grounding' },
    valid: (text) => {
      const opened = text.split('<|ref|>').length - 1;
      const objects = parseGrounding(text);
      return opened > 0 && objects.length === opened && objects.every((o) => o.boxes.length > 0);
    },
  });
  return out;
}

export interface ConstrainedRun {
  variant: ModelVariant;
  device: Device;
  seeds: number;
  /** Format names to leave out (json_object on the real vocabulary is slow to warm on the CPU). */
  skip?: string[];
  maxTokens?: number;
  log?: (line: string) => void;
}

/** One line per format: answers that failed (invalid, cut off, or streamed text unlike the result). */
export async function checkConstrainedGeneration(run: ConstrainedRun): Promise<CheckLine[]> {
  const model = await loadModel(goldenPath('models', run.variant), {
    device: run.device,
    tokenizer: goldenTokenizer(run.variant),
    cacheTokens: 16384,
  });
  const lines: CheckLine[] = [];
  try {
    for (const c of cases()) {
      if (run.skip?.some((s) => c.name.startsWith(s))) continue;
      const failures: string[] = [];
      let tokens = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: run.seeds }, async (_, seed) => {
          const options = {
            temperature: 1,
            seed,
            maxTokens: run.maxTokens ?? 4000,
            responseFormat: c.format,
          };
          const messages = [{ role: 'user' as const, content: `Answer as ${c.name}, please (${seed}).` }];
          const streamed = seed % 2 === 1;
          let text: string;
          let finish: string;
          if (streamed) {
            const stream = model.chat(messages, options);
            let joined = '';
            for await (const chunk of stream) joined += chunk.text;
            const result = await stream.result;
            text = result.text;
            finish = result.finishReason;
            tokens += result.tokenIds.length;
            if (joined !== text) failures.push(`seed ${seed}: streamed text differs from the result`);
          } else {
            const result = await model.generate(messages, options);
            text = result.text;
            finish = result.finishReason;
            tokens += result.tokenIds.length;
          }
          if (finish !== 'stop') failures.push(`seed ${seed}: finished by ${finish}`);
          else if (!c.valid(text))
            failures.push(`seed ${seed}: invalid ${JSON.stringify(text).slice(0, 160)}`);
        }),
      );
      run.log?.(
        `${run.variant}/${run.device} ${c.name}: ${run.seeds} answers, ${tokens} tokens in ${(performance.now() - started).toFixed(0)} ms, ${failures.length} failed${failures.length ? `: ${failures.slice(0, 3).join('; ')}` : ''}`,
      );
      lines.push({
        where: `${run.variant}/${run.device} ${c.name}`,
        check: 'answers invalid or cut off',
        value: failures.length,
        limit: 0,
      });
    }
  } finally {
    await model.close();
  }
  return lines;
}
