/**
 * Photo-like test images for the benches: distinct JPEGs of realistic sizes whose decoding costs about
 * what real photos cost (random flat images compress to nothing; pure noise decodes slower than photos).
 */
import sharp from 'sharp';

/** Smooth colour gradients with fine noise on top; seed makes each image distinct. */
export async function photoLike(width: number, height: number, seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let state = (seed * 2_654_435_761) >>> 0 || 1;
  const phase = (seed % 7) / 7;
  for (let y = 0; y < height; y++) {
    const v = y / height;
    for (let x = 0; x < width; x++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const noise = (state & 31) - 16;
      const u = x / width;
      const i = (y * width + x) * 3;
      pixels[i] = 128 + 100 * Math.sin(6 * u + phase * 6) + noise;
      pixels[i + 1] = 60 + 150 * v * u + noise;
      pixels[i + 2] = 200 - 140 * v + ((state >>> 8) & 15);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}
