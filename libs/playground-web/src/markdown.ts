/**
 * A small Markdown reader for model answers: headings, paragraphs, fenced code, block quotes,
 * lists (nested by indentation), rules; inline code, bold, italic, links and bare URLs. It builds
 * a tree of plain values, never HTML: `render-markdown.ts` turns the tree into DOM nodes whose text
 * is always set as text, so nothing the model writes is ever parsed as HTML. Links keep only
 * http(s) and mailto targets; anything else stays text. A fence still open (an answer being
 * streamed) runs to the end.
 */

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'break' };

export type Block =
  | { type: 'heading'; level: number; children: Inline[] }
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { type: 'quote'; children: Block[] }
  | { type: 'rule' };

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^( {0,3})([-*+])[ \t]+(.*)$/;
const ORDERED = /^( {0,3})(\d{1,9})[.)][ \t]+(.*)$/;
const MAX_DEPTH = 8;

/** Parses Markdown source into blocks. */
export function parseMarkdown(source: string, depth = 0): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1];
      const body: string[] = [];
      i++;
      while (i < lines.length && !isClosingFence(lines[i], marker)) body.push(lines[i++]);
      i++; // the closing fence (or the end)
      blocks.push({ type: 'code', lang: fence[2].replace(/[^\w+#.-]/g, ''), text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({
        type: 'heading',
        level: heading[1].length,
        children: parseInline(heading[2] ?? ''),
      });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ type: 'rule' });
      i++;
      continue;
    }
    if (QUOTE.test(line) && depth < MAX_DEPTH) {
      const body: string[] = [];
      while (i < lines.length && lines[i].trim() !== '') {
        const quoted = QUOTE.exec(lines[i]);
        body.push(quoted ? quoted[1] : lines[i]);
        i++;
      }
      blocks.push({ type: 'quote', children: parseMarkdown(body.join('\n'), depth + 1) });
      continue;
    }
    const item = listItem(line);
    if (item && depth < MAX_DEPTH) {
      const list = {
        type: 'list' as const,
        ordered: item.ordered,
        start: item.start,
        items: [] as Block[][],
      };
      while (i < lines.length) {
        const next = listItem(lines[i]);
        if (!next || next.ordered !== item.ordered) break;
        const body = [next.text];
        i++;
        // The item's own lines: indented continuations (nested lists included), across blank
        // lines when the text after them is still indented.
        while (i < lines.length) {
          const l = lines[i];
          if (l.trim() === '') {
            const after = lines.slice(i + 1).find((x) => x.trim() !== '');
            if (after !== undefined && indentOf(after) >= next.contentIndent) {
              body.push('');
              i++;
              continue;
            }
            break;
          }
          if (indentOf(l) >= next.contentIndent) body.push(l.slice(next.contentIndent));
          else if (listItem(l) || startsBlock(l)) break;
          else body.push(l.trim()); // a lazy continuation of the item's paragraph
          i++;
        }
        list.items.push(parseMarkdown(body.join('\n'), depth + 1));
        // A blank line between items keeps the list going.
        if (i < lines.length && lines[i].trim() === '') {
          const after = lines.slice(i).findIndex((x) => x.trim() !== '');
          const nextItem = after >= 0 ? listItem(lines[i + after]) : undefined;
          if (nextItem && nextItem.ordered === item.ordered) i += after;
        }
      }
      blocks.push(list);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() !== '' && (para.length === 0 || !startsBlock(lines[i]))) {
      para.push(lines[i].trim());
      i++;
    }
    blocks.push({ type: 'paragraph', children: parseInline(para.join('\n')) });
  }
  return blocks;
}

function isClosingFence(line: string, marker: string): boolean {
  const trimmed = line.trim();
  return (
    trimmed.length >= marker.length && trimmed === marker[0].repeat(trimmed.length) && indentOf(line) < 4
  );
}

function indentOf(line: string): number {
  return /^ */.exec(line.replace(/\t/g, '    '))![0].length;
}

function listItem(line: string) {
  const bullet = BULLET.exec(line);
  if (bullet && !RULE.test(line)) {
    return { ordered: false, start: 1, text: bullet[3], contentIndent: bullet[1].length + 2 };
  }
  const ordered = ORDERED.exec(line);
  if (ordered) {
    return {
      ordered: true,
      start: Number(ordered[2]),
      text: ordered[3],
      contentIndent: ordered[1].length + ordered[2].length + 2,
    };
  }
  return undefined;
}

function startsBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || !!listItem(line);
}

const SAFE_HREF = /^(https?:\/\/|mailto:)/i;
const BARE_URL = /^https?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]}*_]/;
const ESCAPABLE = /[\\`*_{}[\]()#+\-.!>~|]/;

/** Parses the inline content of one block: code spans, emphasis, links, bare URLs, line breaks. */
export function parseInline(text: string, inLink = false): Inline[] {
  const out: Inline[] = [];
  let buffer = '';
  const flush = () => {
    if (buffer !== '') out.push({ type: 'text', text: buffer });
    buffer = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && ESCAPABLE.test(text[i + 1])) {
      buffer += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '\n') {
      flush();
      out.push({ type: 'break' });
      i++;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(text.slice(i))![0];
      const close = findRun(text, run, i + run.length);
      if (close >= 0) {
        flush();
        let code = text.slice(i + run.length, close).replace(/\n/g, ' ');
        if (/^ .*[^ ].* $/.test(code)) code = code.slice(1, -1);
        out.push({ type: 'code', text: code });
        i = close + run.length;
        continue;
      }
      buffer += run;
      i += run.length;
      continue;
    }
    if (c === '[' && !inLink) {
      const link = /^\[((?:[^\]\\\n]|\\.)*)\]\(\s*<?([^\s()<>]+)>?\s*\)/.exec(text.slice(i));
      if (link) {
        flush();
        const children = parseInline(link[1], true);
        if (SAFE_HREF.test(link[2])) out.push({ type: 'link', href: link[2], children });
        else out.push(...children);
        i += link[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && !inLink && (i === 0 || /[\s(]/.test(text[i - 1]))) {
      const url = BARE_URL.exec(text.slice(i));
      if (url) {
        flush();
        out.push({ type: 'link', href: url[0], children: [{ type: 'text', text: url[0] }] });
        i += url[0].length;
        continue;
      }
    }
    if (c === '*' || c === '_') {
      const emphasis = readEmphasis(text, i, inLink);
      if (emphasis) {
        flush();
        out.push(emphasis.node);
        i = emphasis.end;
        continue;
      }
      const run = c === '*' ? /^\*+/.exec(text.slice(i))![0] : /^_+/.exec(text.slice(i))![0];
      buffer += run;
      i += run.length;
      continue;
    }
    buffer += c;
    i++;
  }
  flush();
  return out;
}

/** The index of the next backtick run exactly as long as `run`, from `from`; -1 if none. */
function findRun(text: string, run: string, from: number): number {
  for (let j = text.indexOf(run, from); j >= 0; j = text.indexOf(run, j + 1)) {
    const before = text[j - 1];
    const after = text[j + run.length];
    if (before !== '`' && after !== '`') return j;
    while (text[j + 1] === '`') j++;
  }
  return -1;
}

const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/** `**strong**`, `__strong__`, `*em*` or `_em_` starting at `i`, if it closes. */
function readEmphasis(text: string, i: number, inLink: boolean): { node: Inline; end: number } | undefined {
  const c = text[i];
  for (const width of [2, 1]) {
    const delim = c.repeat(width);
    if (text.slice(i, i + width) !== delim) continue;
    const first = text[i + width];
    if (first === undefined || /\s/.test(first) || first === c) continue;
    // Underscores inside words (snake_case) are not emphasis.
    if (c === '_' && isWordChar(text[i - 1])) continue;
    for (let j = text.indexOf(delim, i + width + 1); j >= 0; j = text.indexOf(delim, j + 1)) {
      if (/\s/.test(text[j - 1])) continue;
      if (text[j + width] === c) continue; // part of a longer run
      if (c === '_' && isWordChar(text[j + width])) continue;
      const inner = text.slice(i + width, j);
      const children = parseInline(inner, inLink);
      return { node: width === 2 ? { type: 'strong', children } : { type: 'em', children }, end: j + width };
    }
  }
  return undefined;
}
