// Refreshes the vendored GraphiQL assets from the npm registry (and nowhere else):
//
//     node src/http/graphiql/refresh.mjs
//
// Installs the pinned packages below into a temporary folder with npm (no install scripts run),
// copies their production builds here and writes LICENSES.txt: the licences of React, ReactDOM,
// GraphiQL and of every package GraphiQL's bundle contains, as its source map lists them.
// To upgrade, change a version here, run this, and check the page with the browser test
// (tests/api/graphiql.rs).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REACT = '18.3.1';
const GRAPHIQL = '4.1.2';

const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'varde-graphiql-'));
try {
  writeFileSync(join(work, 'package.json'), '{"private":true}');
  const npmInstall = (specs) =>
    execFileSync(
      'npm',
      ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error',
        '--registry=https://registry.npmjs.org/', ...specs],
      { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  npmInstall([`react@${REACT}`, `react-dom@${REACT}`, `graphiql@${GRAPHIQL}`]);
  const modules = join(work, 'node_modules');
  const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const [name, version] of [['react', REACT], ['react-dom', REACT], ['graphiql', GRAPHIQL]]) {
    const installed = manifest(join(modules, name)).version;
    if (installed !== version) throw new Error(`${name}: wanted ${version}, npm installed ${installed}`);
  }

  const files = [
    ['react/umd/react.production.min.js', 'react.production.min.js'],
    ['react-dom/umd/react-dom.production.min.js', 'react-dom.production.min.js'],
    ['graphiql/graphiql.min.js', 'graphiql.min.js'],
    ['graphiql/graphiql.min.css', 'graphiql.min.css'],
  ];
  for (const [from, to] of files) copyFileSync(join(modules, from), join(here, to));

  // The packages inside graphiql.min.js: node_modules paths in its source map, and GraphiQL's own
  // monorepo packages (packages/graphiql-react is @graphiql/react, packages/src is graphiql).
  const map = JSON.parse(readFileSync(join(modules, 'graphiql/graphiql.min.js.map'), 'utf8'));
  const bundled = new Set(['react', 'react-dom', 'graphiql']);
  for (const source of map.sources) {
    const at = source.lastIndexOf('node_modules/');
    if (at >= 0) {
      const [scope, name] = source.slice(at + 'node_modules/'.length).split('/');
      bundled.add(scope.startsWith('@') ? `${scope}/${name}` : scope);
    } else {
      const folder = source.replace(/^(\.\.\/)+/, '').split('/')[0];
      bundled.add(folder === 'src' ? 'graphiql' : folder.replace(/^graphiql-/, '@graphiql/'));
    }
  }

  // Every installed copy of those packages (a few exist in two versions), with its licence text.
  const found = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (entry.name.startsWith('@')) {
        walk(join(dir, entry.name));
        continue;
      }
      const pkg = join(dir, entry.name);
      if (!existsSync(join(pkg, 'package.json'))) continue;
      const { name, version, license } = manifest(pkg);
      const licenceFile = readdirSync(pkg).find((file) => /^(licen[cs]e|copying)/i.test(file));
      const text = licenceFile ? readFileSync(join(pkg, licenceFile), 'utf8').trim() : null;
      if (bundled.has(name)) found.set(`${name}@${version}`, { name, version, license, text });
      if (existsSync(join(pkg, 'node_modules'))) walk(join(pkg, 'node_modules'));
    }
  };
  const missing = () => [...bundled].filter((name) => ![...found.values()].some((p) => p.name === name));
  walk(modules);
  // Bundled but absent from today's tree (optional peers, or dropped by newer dependency
  // versions): installed on their own, for their licence texts only.
  if (missing().length) {
    npmInstall(missing());
    walk(modules);
  }
  if (missing().length) throw new Error(`no licence found for ${missing().join(', ')}`);

  const sections = [...found.keys()].sort().map((key) => {
    const { license, text } = found.get(key);
    return `${key} (${license})\n\n${text ?? `No licence file in the package; package.json says ${license}.`}`;
  });
  writeFileSync(
    join(here, 'LICENSES.txt'),
    `Licences of the vendored GraphiQL assets: react.production.min.js (react@${REACT}),\n` +
      `react-dom.production.min.js (react-dom@${REACT}), graphiql.min.js and graphiql.min.css\n` +
      `(graphiql@${GRAPHIQL}, with the packages its bundle contains; versions as npm resolved them\n` +
      `when refresh.mjs last ran, which may differ slightly from those GraphiQL's build bundled).\n\n` +
      sections.join(`\n\n${'='.repeat(78)}\n\n`) + '\n',
  );
  for (const [, to] of files) console.log(`${to}: ${readFileSync(join(here, to)).length} bytes`);
  console.log(`LICENSES.txt: ${found.size} packages`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
