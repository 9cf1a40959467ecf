/** Response formats from the command line: `vl2 run --json-schema FILE` and `vl2 batch` lines with a responseFormat. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validator } from '../support/ajv.js';
import { vl2, workFolder } from '../support/cli.js';
import { goldenPath } from '../support/golden.js';

const work = await workFolder('vl2-structured-cli-');
const tiny = [
  '--model',
  goldenPath('models', 'tiny'),
  '--tokenizer',
  goldenPath('tokenizer', 'tokenizer.json'),
];
const schema = {
  type: 'object',
  properties: {
    day: { enum: ['Monday', 'Tuesday'] },
    confidence: { type: 'integer', minimum: 0, maximum: 100 },
  },
  required: ['day', 'confidence'],
  additionalProperties: false,
};

describe('structured output from the CLI', () => {
  it('run --json-schema answers JSON that validates; a bad schema stops before loading', async () => {
    const file = join(work, 'schema.json');
    await writeFile(file, JSON.stringify(schema));
    const { stdout } = await vl2(
      'run',
      ...tiny,
      '--json-schema',
      file,
      '--temperature',
      '1',
      '--seed',
      '3',
      '--max-tokens',
      '200',
      'What day is it?',
    );
    expect(validator(schema)(JSON.parse(stdout))).toBe(true);
    const bad = join(work, 'bad.json');
    await writeFile(bad, JSON.stringify({ type: 'string', pattern: '(?=x)' }));
    await expect(
      vl2('run', '--model', join(work, 'no-model'), '--json-schema', bad, 'hi'),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/lookahead|pattern/),
    });
  });

  it('batch takes a per-line responseFormat; an unsupported one fails its line alone', async () => {
    const input = join(work, 'lines.jsonl');
    const output = join(work, 'out.jsonl');
    const lines = [
      {
        id: 'ok',
        prompt: 'Which day?',
        responseFormat: { type: 'json_schema', schema },
        options: { maxTokens: 200, temperature: 1, seed: 1 },
      },
      {
        id: 'regex',
        prompt: 'A code?',
        options: { maxTokens: 50, responseFormat: { type: 'regex', pattern: '[A-Z]{3}-\\d{2}' } },
      },
      {
        id: 'bad',
        prompt: 'x',
        responseFormat: { type: 'json_schema', schema: { type: 'number', multipleOf: 2 } },
      },
    ];
    await writeFile(input, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    await vl2('batch', ...tiny, '--input', input, '--output', output);
    const results = new Map(
      (await readFile(output, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((r) => [r.id, r]),
    );
    expect(validator(schema)(JSON.parse(results.get('ok').text))).toBe(true);
    expect(results.get('regex').text).toMatch(/^[A-Z]{3}-\d{2}$/);
    expect(results.get('bad').error.message).toMatch(/multipleOf/);
  });
});
