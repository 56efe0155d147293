// Builds the playground's static files into dist/public/: index.html, app.js (src/main.ts and
// everything it imports, workspace libs included, in one minified ES module) and app.css.
// Nothing is fetched at run time: the page loads only these three files from the gateway.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, 'dist', 'public');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = { bundle: true, minify: true, legalComments: 'none', charset: 'utf8', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: join(out, 'app.js'),
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
});
await build({ ...common, entryPoints: [join(root, 'src', 'app.css')], outfile: join(out, 'app.css') });
writeFileSync(join(out, 'index.html'), readFileSync(join(root, 'src', 'index.html')));

const sizes = ['index.html', 'app.js', 'app.css'].map((name) => {
  const bytes = readFileSync(join(out, name));
  return { name, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
});
const total = sizes.reduce((t, s) => ({ bytes: t.bytes + s.bytes, gzip: t.gzip + s.gzip }), {
  bytes: 0,
  gzip: 0,
});
writeFileSync(
  join(root, 'dist', 'bundle-sizes.json'),
  JSON.stringify({ files: sizes, total }, null, 2) + '\n',
);
console.log(
  `playground: ${sizes.map((s) => `${s.name} ${s.bytes} B (${s.gzip} B gzip)`).join(', ')}; ` +
    `total ${total.bytes} B (${total.gzip} B gzip)`,
);
