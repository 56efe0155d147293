import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseInline, parseMarkdown } from './markdown';

const text = (t: string) => ({ type: 'text', text: t });

test('headings, paragraphs with line breaks, rules and block quotes', () => {
  assert.deepEqual(parseMarkdown('# Title #\n\nline one\nline two\n\n---\n> quoted *x*'), [
    { type: 'heading', level: 1, children: [text('Title')] },
    { type: 'paragraph', children: [text('line one'), { type: 'break' }, text('line two')] },
    { type: 'rule' },
    {
      type: 'quote',
      children: [{ type: 'paragraph', children: [text('quoted '), { type: 'em', children: [text('x')] }] }],
    },
  ]);
  assert.deepEqual(parseMarkdown('####### seven'), [
    { type: 'paragraph', children: [text('####### seven')] },
  ]);
});

test('fenced code keeps its text verbatim, and an unclosed fence (still streaming) runs to the end', () => {
  assert.deepEqual(parseMarkdown('```js\nconst a = "<b>**x**</b>";\n```\nafter'), [
    { type: 'code', lang: 'js', text: 'const a = "<b>**x**</b>";' },
    { type: 'paragraph', children: [text('after')] },
  ]);
  assert.deepEqual(parseMarkdown('~~~\nopen\n  more'), [{ type: 'code', lang: '', text: 'open\n  more' }]);
  assert.deepEqual(parseMarkdown('```"><img onerror=x>\na\n```')[0], {
    type: 'code',
    lang: 'img',
    text: 'a',
  });
});

test('lists: bullets, numbers with their start, nesting by indentation, loose items', () => {
  assert.deepEqual(parseMarkdown('- a\n- b\n  - b1\n\n- c'), [
    {
      type: 'list',
      ordered: false,
      start: 1,
      items: [
        [{ type: 'paragraph', children: [text('a')] }],
        [
          { type: 'paragraph', children: [text('b')] },
          {
            type: 'list',
            ordered: false,
            start: 1,
            items: [[{ type: 'paragraph', children: [text('b1')] }]],
          },
        ],
        [{ type: 'paragraph', children: [text('c')] }],
      ],
    },
  ]);
  const ordered = parseMarkdown('3. three\n4. four\n\ntext');
  assert.deepEqual(ordered[0], {
    type: 'list',
    ordered: true,
    start: 3,
    items: [
      [{ type: 'paragraph', children: [text('three')] }],
      [{ type: 'paragraph', children: [text('four')] }],
    ],
  });
  assert.deepEqual(ordered[1], { type: 'paragraph', children: [text('text')] });
});

test('inline: code spans, strong, em, snake_case, escapes', () => {
  assert.deepEqual(parseInline('a `b*c*` **d _e_** f'), [
    text('a '),
    { type: 'code', text: 'b*c*' },
    text(' '),
    { type: 'strong', children: [text('d '), { type: 'em', children: [text('e')] }] },
    text(' f'),
  ]);
  assert.deepEqual(parseInline('snake_case_name and 2 * 3 * 4'), [text('snake_case_name and 2 * 3 * 4')]);
  assert.deepEqual(parseInline('\\*not em\\* ``a ` b``'), [
    text('*not em* '),
    { type: 'code', text: 'a ` b' },
  ]);
  assert.deepEqual(parseInline('**unclosed'), [text('**unclosed')]);
});

test('links: only http(s) and mailto targets become links; others stay text', () => {
  assert.deepEqual(parseInline('[docs](https://example.com/a?b=1) and [x](javascript:alert(1))'), [
    { type: 'link', href: 'https://example.com/a?b=1', children: [text('docs')] },
    text(' and [x](javascript:alert(1))'),
  ]);
  assert.deepEqual(parseInline('[x](javascript:void)'), [text('x')]);
  assert.deepEqual(parseInline('[m](mailto:a@b.c) [d](data:text/html,hi)'), [
    { type: 'link', href: 'mailto:a@b.c', children: [text('m')] },
    text(' '),
    text('d'),
  ]);
  assert.deepEqual(parseInline('see https://example.com/x.'), [
    text('see '),
    { type: 'link', href: 'https://example.com/x', children: [text('https://example.com/x')] },
    text('.'),
  ]);
});

test('HTML in the text is text: the tree has no markup, only strings', () => {
  const blocks = parseMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>');
  assert.deepEqual(blocks, [
    { type: 'paragraph', children: [text('<script>alert(1)</script>')] },
    { type: 'paragraph', children: [text('<img src=x onerror=alert(1)>')] },
  ]);
});

test('long adversarial input stays fast', () => {
  const start = performance.now();
  parseMarkdown('*a '.repeat(3000) + '\n' + '`'.repeat(2000) + '\n' + '[x]('.repeat(2000));
  assert.ok(performance.now() - start < 1000);
});
