/**
 * Why `key` can never be presented as `authorization: Bearer <key>`, or undefined when it can:
 * the value is split at blanks and header values are bytes, so a key is printable ASCII without
 * spaces (what `openssl rand -hex`, `-base64` and `sk-…` keys are).
 */
export function keyProblem(key: string): string | undefined {
  if (key === '') return 'is empty';
  if (/\s/.test(key)) return 'contains whitespace';
  if (!/^[\x21-\x7e]+$/.test(key)) return 'has characters other than printable ASCII';
  return undefined;
}
