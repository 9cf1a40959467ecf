/**
 * The images waiting to be sent with the next prompt: added from the file picker, a drop or a paste,
 * previewed as thumbnails that can be removed, read as data: URLs (what the server accepts inline).
 */

export function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export class Attachments {
  private urls: string[] = [];

  /** onChange: after every addition or removal (the page's buttons depend on the count). */
  constructor(
    private readonly container: HTMLElement,
    private readonly onChange: () => void = () => {},
  ) {}

  get count(): number {
    return this.urls.length;
  }

  /** Adds the image files among `files` (others are ignored). */
  async addFiles(files: Iterable<File>): Promise<void> {
    const images = [...files].filter((file) => file.type.startsWith('image/'));
    this.add(await Promise.all(images.map(readAsDataUrl)));
  }

  add(urls: string[]): void {
    this.urls.push(...urls);
    this.render();
  }

  /** The images to send, removed from the composer. */
  take(): string[] {
    const urls = this.urls;
    this.urls = [];
    this.render();
    return urls;
  }

  private render(): void {
    this.onChange();
    this.container.replaceChildren(
      ...this.urls.map((url, i) => {
        const item = document.createElement('div');
        item.className = 'attachment';
        const image = new Image();
        image.src = url;
        image.alt = `image ${i + 1}`;
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.textContent = '×';
        remove.title = 'Remove this image';
        remove.addEventListener('click', () => {
          this.urls.splice(i, 1);
          this.render();
        });
        item.append(image, remove);
        return item;
      }),
    );
  }
}
