/**
 * Closes a JSON text cut off mid-way (an answer that ran out of tokens) so it can be parsed:
 * ends an open string, completes a dangling key or value with null, drops a trailing comma and
 * closes every open object and array. Text that is not the beginning of some JSON value still
 * fails to parse afterwards.
 */
export function closeJsonPrefix(text: string): string {
  const stack: string[] = [];
  let inString = false;
  let escaped = false;
  // In an object: whether the string just read was a key (no ':' yet).
  let keyOpen = false;
  let out = text;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      const before = text.slice(0, i).trimEnd().at(-1);
      keyOpen = stack.at(-1) === '{' && (before === '{' || before === ',');
    } else if (c === '{' || c === '[') stack.push(c);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ':') keyOpen = false;
  }
  if (escaped) out = out.slice(0, -1);
  if (inString) out += '"';
  const last = out.trimEnd().at(-1);
  if (keyOpen && last === '"') out += ':null';
  else if (last === ':') out += 'null';
  else if (last === ',') out = out.trimEnd().slice(0, -1);
  else if (last === '-' || last === '.' || last === 'e' || last === 'E') out += '0';
  else {
    const literal = /(?:^|[^a-z])(t|tr|tru|f|fa|fal|fals|n|nu|nul)$/.exec(out.trimEnd())?.[1];
    if (literal)
      out =
        out.trimEnd() + ['true', 'false', 'null'].find((l) => l.startsWith(literal))!.slice(literal.length);
  }
  for (let k = stack.length - 1; k >= 0; k--) out += stack[k] === '{' ? '}' : ']';
  return out;
}
