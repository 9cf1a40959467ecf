/**
 * Dynamic tiling against the official processor's output (golden/preprocess): the chosen tiling, tile
 * and image-token counts exactly, and the tile pixels within the README's mean absolute difference.
 */
import { describe, expect, it } from 'vitest';
import { readProcessorConfig } from '../../lib/processor/config.js';
import { loadImage } from '../../lib/processor/image.js';
import { imageTokenCount, tileSize, tilingOf, writeTiles } from '../../lib/processor/tiling.js';
import { goldenPath, readJson, readU8, tileDifferences } from '../support/golden.js';

interface PreprocessCase {
  image: string;
  size: [number, number];
  spatial_crop: [number, number];
  num_tiles: number;
  num_image_tokens: number[];
  tiles_file: string;
}

/** Per image mean absolute difference (of 255) and per tile maximum (golden README / issue). */
const maxImageMad = 1.5;
const maxTileMad = 3.0;

const cases = readJson<PreprocessCase[]>('preprocess', 'cases.json');
const { candidateResolutions, padColour } = await readProcessorConfig(goldenPath('models', 'tiny'));

describe('dynamic tiling', () => {
  it.each(cases.map((c) => [c.image, c] as const))('%s', async (_, c) => {
    const image = await loadImage(goldenPath('images', c.image));
    expect([image.width, image.height]).toEqual(c.size);
    const canvas = tilingOf(image, candidateResolutions, true);
    const tileBytes = tileSize * tileSize * 3;
    const out = new Uint8Array((1 + (canvas[0] / tileSize) * (canvas[1] / tileSize)) * tileBytes);
    const tiled = await writeTiles(image, canvas, padColour, out, 0);
    expect(tiled.spatialCrop).toEqual(c.spatial_crop);
    expect(tiled.tileCount).toBe(c.num_tiles);
    expect([imageTokenCount(tiled.spatialCrop)]).toEqual(c.num_image_tokens);
    const expected = readU8('preprocess', c.tiles_file);
    expect(out.length).toBe(expected.length);
    const { mad, worstTileMad } = tileDifferences(out, expected);
    console.log(
      `${c.image}: mean absolute difference ${mad.toFixed(4)}, worst tile ${worstTileMad.toFixed(4)} (of 255)`,
    );
    expect(worstTileMad).toBeLessThanOrEqual(maxTileMad);
    expect(mad).toBeLessThanOrEqual(maxImageMad);
  });
});
