/** The GPU sampler against the CPU sampler's distribution; runs where a CUDA device is present. */
import { describe, expect, it } from 'vitest';
import { backends } from '../../lib/backends.js';
import { passed } from '../support/bf16-golden-check.js';
import { checkDeviceSampler } from '../support/device-sampler-check.js';

const cuda = backends().find((b) => b.name === 'cuda');

describe.skipIf(!cuda?.available)('GPU sampler', () => {
  it('draws among the kept ids with their probabilities, repeatably for a seed', () => {
    const lines = checkDeviceSampler();
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.filter((line) => !passed(line))).toEqual([]);
  });
});
