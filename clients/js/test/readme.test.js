// The package as npm packs it holds the module, its types and its README,
// and the README's example, run in a project that installed the tarball,
// talks to a real server as it says.

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../src/index.js';
import { defer, startServer, tempDir } from './harness.js';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The first ```js block of the README's "## Example" section. */
function example() {
  const readme = readFileSync(path.join(pkgDir, 'README.md'), 'utf8');
  const section = readme.split('\n## Example\n')[1].split('\n## ')[0];
  const m = section.match(/```js\n([\s\S]*?)```/);
  assert.ok(m, 'no js block in the README example');
  return m[1];
}

test('npm pack holds the module, its types and README only', () => {
  const [packed] = JSON.parse(npm(['pack', '--dry-run', '--json'], pkgDir));
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(files, ['README.md', 'index.d.ts', 'package.json', 'src/changes.js', 'src/client.js', 'src/emitter.js',
    'src/errors.js', 'src/frames.js', 'src/index.js', 'src/options.js', 'src/room.js', 'src/rules.js', 'src/sha256.js', 'src/state.js',
    'src/store.js']);
  assert.equal(packed.name, 'chatstate-client');
});

test('the README example runs against chatstate dev from the installed tarball', { timeout: 180000 }, async (t) => {
  const s = await startServer(t);
  const bob = connect({ url: s.ws, user: 'bob' });
  defer(t, () => bob.close());
  const lobby = bob.join('lobby');
  await lobby.joined();
  await lobby.send('hi from bob');

  const dir = tempDir(t, 'chatstate-example-');
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], pkgDir));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'example', private: true, type: 'module' }));
  npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(dir, packed.filename)], dir);

  const code = example();
  const url = 'ws://localhost:8080/ws';
  assert.equal(code.split(url).length, 2, `the example names ${url} once`);
  writeFileSync(path.join(dir, 'example.mjs'), code.replace(url, s.ws));
  const out = execFileSync(process.execPath, ['--experimental-websocket', 'example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60000 });
  const lines = out.trim().split('\n');
  assert.equal(lines[0], 'connection: live');
  assert.ok(lines.includes('bob: hi from bob'), out);
  assert.ok(lines.includes('members: alice, bob'), out);
  assert.ok(lines.some((l) => /^sent at cursor \d+$/.test(l)), out);
  assert.equal(lines.at(-1), 'connection: closed');
});
