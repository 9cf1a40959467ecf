/**
 * Any JSON object (OpenAI's `response_format: { type: "json_object" }`). Nesting is limited to
 * maxJsonDepth levels, the rules unrolled once per depth instead of one recursive `value` rule: the
 * grammar is then finite-state, so the matcher's stack is bounded and no sampler can drive it into
 * ever deeper nesting that a token budget cuts off mid-value.
 */
import { RuleSet } from './grammar-text.js';
import { jsonObject, maxJsonDepth } from './json-grammar.js';

/** Grammar text for a JSON object nested at most `maxDepth` levels (the object itself is level 1). */
export function jsonObjectGrammar(maxDepth: number = maxJsonDepth): string {
  const rules = new RuleSet();
  return rules.render(jsonObject(rules, maxDepth));
}
