/**
 * The sampling controls: each input is named after the request field it sets; sliders show their
 * value beside them. An empty number field (seed) is left out of the request. A JSON schema in its
 * field constrains the answer (response_format json_schema); text there that is not JSON throws.
 */

export function bindSettings(form: HTMLElement): () => Record<string, unknown> {
  const schemaField = form.querySelector<HTMLTextAreaElement>('#json-schema');
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
    const fields: Record<string, unknown> = {};
    for (const input of inputs) {
      if (input.value.trim() === '') continue;
      fields[input.dataset.field as string] = Number(input.value);
    }
    const schemaText = schemaField?.value.trim() ?? '';
    if (schemaText) {
      let schema: unknown;
      try {
        schema = JSON.parse(schemaText);
      } catch (error) {
        throw new Error(`The JSON schema field is not JSON: ${(error as Error).message}`);
      }
      fields.response_format = { type: 'json_schema', json_schema: { name: 'answer', schema } };
    }
    return fields;
  };
}
