/**
 * Grounded objects drawn as labelled boxes over a copy of their image: a box per detection, placed
 * at the pixels lib/grounding-text.ts computes from the model's 0..999 coordinates and the image's
 * own size, written as percentages of that size so the boxes stay on their objects as the image
 * scales. Each box carries its pixel coordinates in data-pixels (x1,y1,x2,y2).
 */
import { type GroundedObject, groundingPalette, toPixels } from '../grounding-text.js';

/** A figure with the image and its boxes; resolves once the image has decoded (its size is known). */
export async function groundingFigure(imageUrl: string, objects: GroundedObject[]): Promise<HTMLElement> {
  const figure = document.createElement('figure');
  figure.className = 'grounding';
  const image = new Image();
  image.src = imageUrl;
  image.alt = 'the image the boxes are drawn on';
  await image.decode();
  figure.append(image);
  const size: [number, number] = [image.naturalWidth, image.naturalHeight];
  const percent = (pixels: number, of: number) => `${(pixels / of) * 100}%`;
  objects.forEach((object, i) => {
    const colour = groundingPalette[i % groundingPalette.length] as string;
    for (const box of object.boxes) {
      const [ax, ay, bx, by] = toPixels(box.normalized, size);
      // A model can emit the corners in either order; the box is the same.
      const [x1, x2] = ax <= bx ? [ax, bx] : [bx, ax];
      const [y1, y2] = ay <= by ? [ay, by] : [by, ay];
      const div = document.createElement('div');
      div.className = 'box';
      div.dataset.pixels = [x1, y1, x2, y2].join(',');
      div.dataset.label = object.label;
      div.style.left = percent(x1, size[0]);
      div.style.top = percent(y1, size[1]);
      div.style.width = percent(x2 - x1, size[0]);
      div.style.height = percent(y2 - y1, size[1]);
      div.style.borderColor = colour;
      if (object.label) {
        const label = document.createElement('span');
        label.className = 'box-label';
        label.textContent = object.label;
        label.style.backgroundColor = colour;
        div.append(label);
      }
      figure.append(div);
    }
  });
  return figure;
}
