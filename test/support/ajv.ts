/**
 * The JSON Schema validator every structured-output check measures exactness by: ajv (draft
 * 2020-12) with ajv-formats for date, date-time and uuid. Plain (no vitest), so the GPU scripts use
 * it too.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const ajv = new Ajv2020({ strict: false });
addFormats.default(ajv);

export function validator(schema: unknown): (value: unknown) => boolean {
  const validate = ajv.compile(schema as object);
  return (value) => validate(value) as boolean;
}
