/**
 * Where an encoded image keeps its compressed pixels, for the image fuzz: edits inside these ranges
 * damage pixels but leave every field that states the image's size (PNG IHDR, JPEG SOF, GIF screen and
 * image descriptors, WebP frame headers, TIFF IFD) as it was. Only the structures of the small files
 * sharp writes in test/fuzz/image.test.ts are walked; anything else is an error, not a guess.
 */

/** Half-open byte ranges [start, end) of compressed pixel data. */
export type Ranges = [number, number][];

export function pixelDataRanges(format: string, bytes: Buffer): Ranges {
  const ranges =
    format === 'png'
      ? png(bytes)
      : format === 'jpeg'
        ? jpeg(bytes, 0)
        : format === 'gif'
          ? gif(bytes)
          : format === 'webp'
            ? webp(bytes)
            : format === 'tiff'
              ? tiff(bytes)
              : [];
  const usable = ranges.filter(([start, end]) => end > start);
  if (usable.length === 0) throw new Error(`no pixel data found in the ${format} source`);
  return usable;
}

/** IDAT chunk contents (the CRC after each is left out: it is checked, not pixel data). */
function png(bytes: Buffer): Ranges {
  const ranges: Ranges = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    if (bytes.toString('latin1', at + 4, at + 8) === 'IDAT') ranges.push([at + 8, at + 8 + length]);
    at += 12 + length;
  }
  return ranges;
}

/** The entropy-coded segment: after the SOS header up to the EOI marker. */
function jpeg(bytes: Buffer, from: number): Ranges {
  for (let at = from + 2; at + 4 <= bytes.length; ) {
    if (bytes[at] !== 0xff) throw new Error(`JPEG: no marker at ${at}`);
    const marker = bytes[at + 1] as number;
    const length = bytes.readUInt16BE(at + 2);
    if (marker === 0xda) {
      const end = bytes.lastIndexOf(Buffer.from([0xff, 0xd9]));
      return [[at + 2 + length, end]];
    }
    at += 2 + length;
  }
  throw new Error('JPEG: no SOS');
}

/** LZW sub-blocks after the first image descriptor (and its minimum code size byte), before the terminator. */
function gif(bytes: Buffer): Ranges {
  const packed = bytes[10] as number;
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  while (bytes[at] === 0x21) {
    at += 2; // extension introducer and label, then sub-blocks
    while ((bytes[at] as number) !== 0) at += 1 + (bytes[at] as number);
    at++;
  }
  if (bytes[at] !== 0x2c) throw new Error(`GIF: no image descriptor at ${at}`);
  const local = bytes[at + 9] as number;
  at += 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0);
  const start = at + 1; // after the LZW minimum code size
  at = start;
  while ((bytes[at] as number) !== 0) at += 1 + (bytes[at] as number);
  return [[start, at]];
}

/** RIFF chunks: VP8 data after its 10-byte frame header (which holds the size), ALPH after its flags byte. */
function webp(bytes: Buffer): Ranges {
  const ranges: Ranges = [];
  for (let at = 12; at + 8 <= bytes.length; ) {
    const tag = bytes.toString('latin1', at, at + 4);
    const length = bytes.readUInt32LE(at + 4);
    const data = at + 8;
    if (tag === 'VP8 ') ranges.push([data + 10, data + length]);
    else if (tag === 'ALPH') ranges.push([data + 1, data + length]);
    else if (tag === 'VP8L') ranges.push([data + 5, data + length]);
    at = data + length + (length & 1);
  }
  return ranges;
}

/** The strips (StripOffsets, StripByteCounts of the first IFD); a JPEG strip only from its entropy data on. */
function tiff(bytes: Buffer): Ranges {
  if (bytes.toString('latin1', 0, 2) !== 'II') throw new Error('TIFF: only little-endian is walked');
  const ifd = bytes.readUInt32LE(4);
  const entries = bytes.readUInt16LE(ifd);
  const tag = (id: number): number[] => {
    for (let i = 0; i < entries; i++) {
      const entry = ifd + 2 + 12 * i;
      if (bytes.readUInt16LE(entry) !== id) continue;
      const type = bytes.readUInt16LE(entry + 2);
      const count = bytes.readUInt32LE(entry + 4);
      const size = type === 3 ? 2 : 4;
      const at = count * size <= 4 ? entry + 8 : bytes.readUInt32LE(entry + 8);
      return Array.from({ length: count }, (_, k) =>
        size === 2 ? bytes.readUInt16LE(at + 2 * k) : bytes.readUInt32LE(at + 4 * k),
      );
    }
    throw new Error(`TIFF: no tag ${id}`);
  };
  const compression = tag(259)[0];
  const counts = tag(279);
  return tag(273).map((offset, i) => {
    const end = offset + (counts[i] as number);
    // JPEG compression (7): the strip is a JPEG stream whose SOF also states a size.
    return compression === 7 ? [(jpeg(bytes, offset)[0] as [number, number])[0], end - 2] : [offset, end];
  });
}
