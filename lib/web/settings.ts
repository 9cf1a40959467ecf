/**
 * The sampling controls: each input is named after the request field it sets; sliders show their
 * value beside them. An empty number field (seed) is left out of the request.
 */

export function bindSettings(form: HTMLElement): () => Record<string, number> {
  const inputs = [...form.querySelectorAll<HTMLInputElement>('input[data-field]')];
  for (const input of inputs) {
    const shown = form.querySelector<HTMLOutputElement>(`output[for="${input.id}"]`);
    if (!shown) continue;
    const show = () => {
      shown.value = input.value;
    };
    input.addEventListener('input', show);
    show();
  }
  return () => {
    const fields: Record<string, number> = {};
    for (const input of inputs) {
      if (input.value.trim() === '') continue;
      fields[input.dataset.field as string] = Number(input.value);
    }
    return fields;
  };
}
