import { parseMarkdown, type Block, type Inline } from './markdown';

/**
 * Renders Markdown as DOM nodes. Every piece of text becomes a Text node (never HTML), links get
 * `rel="noopener noreferrer"` and open in a new tab, and only http(s)/mailto targets survive
 * parsing, so model output cannot inject markup or script.
 */
export function renderMarkdown(source: string, doc: Document = document): DocumentFragment {
  const fragment = doc.createDocumentFragment();
  for (const block of parseMarkdown(source)) fragment.append(renderBlock(block, doc));
  return fragment;
}

function renderBlock(block: Block, doc: Document): Node {
  switch (block.type) {
    case 'heading': {
      // The answer sits under the page's own headings: its h1 is shown as an h3, and so on.
      const el = doc.createElement(`h${Math.min(block.level + 2, 6)}`);
      el.append(...block.children.map((c) => renderInline(c, doc)));
      return el;
    }
    case 'paragraph': {
      const el = doc.createElement('p');
      el.append(...block.children.map((c) => renderInline(c, doc)));
      return el;
    }
    case 'code': {
      const pre = doc.createElement('pre');
      const code = doc.createElement('code');
      if (block.lang) code.className = `language-${block.lang}`;
      code.textContent = block.text;
      pre.append(code);
      return pre;
    }
    case 'list': {
      const el = doc.createElement(block.ordered ? 'ol' : 'ul');
      if (block.ordered && block.start !== 1) (el as HTMLOListElement).start = block.start;
      for (const item of block.items) {
        const li = doc.createElement('li');
        // A one-paragraph item renders tight (no <p>).
        if (item.length === 1 && item[0].type === 'paragraph') {
          li.append(...item[0].children.map((c) => renderInline(c, doc)));
        } else li.append(...item.map((b) => renderBlock(b, doc)));
        el.append(li);
      }
      return el;
    }
    case 'quote': {
      const el = doc.createElement('blockquote');
      el.append(...block.children.map((b) => renderBlock(b, doc)));
      return el;
    }
    case 'rule':
      return doc.createElement('hr');
  }
}

function renderInline(node: Inline, doc: Document): Node {
  switch (node.type) {
    case 'text':
      return doc.createTextNode(node.text);
    case 'break':
      return doc.createElement('br');
    case 'code': {
      const el = doc.createElement('code');
      el.textContent = node.text;
      return el;
    }
    case 'strong':
    case 'em': {
      const el = doc.createElement(node.type);
      el.append(...node.children.map((c) => renderInline(c, doc)));
      return el;
    }
    case 'link': {
      const a = doc.createElement('a');
      a.href = node.href;
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      a.append(...node.children.map((c) => renderInline(c, doc)));
      return a;
    }
  }
}
