/**
 * Shared pieces of the fast-check fuzz properties: the run budget and JSON mutation. A property's
 * run count is scaled by VL2_FUZZ_SCALE (default 1: the bounded CI budget; 10 or 100 for a longer
 * hunt on a developer machine).
 */
import fc from 'fast-check';

export function fuzzRuns(ciRuns: number): number {
  const scale = Number(process.env.VL2_FUZZ_SCALE ?? 1);
  return Math.max(1, Math.round(ciRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** Values that sit on the edges parsers get wrong: signs, int32/uint64 limits, wrong types. */
export const edgeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1,
    0.5,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    Number.MAX_SAFE_INTEGER + 2,
    1e300,
    -1e300,
    '',
    '0',
    'BF16',
    '../x',
    null,
    true,
    false,
    [],
    {},
    [0, 0],
    [1, 2, 3],
  ),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }),
);

type Mutation = { path: number[]; value: unknown; remove: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
  value: edgeValue,
  remove: fc.boolean(),
});

/** Applies one mutation: walks `path` (indices into each object's keys), then sets or deletes. */
function apply(root: unknown, { path, value, remove }: Mutation): unknown {
  if (typeof root !== 'object' || root === null) return structuredClone(value);
  let node = root as Record<string, unknown>;
  for (let depth = 0; depth < path.length; depth++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[(path[depth] as number) % keys.length] as string;
    const child = node[key];
    if (depth === path.length - 1 || typeof child !== 'object' || child === null) {
      // A copy: fc.constantFrom hands out the same array/object instance every time, so placing it
      // by reference lets a later mutation write it into itself (a circular document).
      if (remove) delete node[key];
      else node[key] = structuredClone(value);
      return root;
    }
    node = child as Record<string, unknown>;
  }
  return root;
}

/** A deep copy of `base` with up to four values replaced or deleted somewhere inside it. */
export function mutatedJson(base: unknown): fc.Arbitrary<unknown> {
  return fc
    .array(mutation, { minLength: 1, maxLength: 4 })
    .map((mutations) => mutations.reduce((doc, m) => apply(doc, m), structuredClone(base)));
}

/** Text that is usually JSON-shaped but may be cut, padded or plain noise. */
export function jsonishText(base: unknown): fc.Arbitrary<string> {
  return fc.oneof(
    mutatedJson(base).map((doc) => JSON.stringify(doc) ?? 'null'),
    fc
      .tuple(
        mutatedJson(base).map((doc) => JSON.stringify(doc) ?? ''),
        fc.nat(),
      )
      .map(([text, cut]) => text.slice(0, cut % (text.length + 1))),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.jsonValue().map((v) => JSON.stringify(v)),
  );
}
