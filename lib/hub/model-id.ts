/** What a hub model id looks like: `org/name`, the characters the hub allows in each part. */

/** Owner and repository names: letters, digits, `-`, `_`, `.`; not starting with `-` or `.`; at most 96 characters. */
const hubModelIdPattern = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;

/** Whether a string has the form of a hub model id (`deepseek-ai/deepseek-vl2-tiny`). */
export function isHubModelId(source: string): boolean {
  return hubModelIdPattern.test(source) && !source.includes('..');
}
