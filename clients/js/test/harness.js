// What the tests share: a real `chatstate dev` on free loopback ports, a TCP
// proxy that can cut connections, and waiting on conditions with deadlines.

import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let built = '';

/**
 * The chatstate binary: $CHATSTATE_BIN (scripts/test-js builds it once), or
 * one built here for this test file.
 */
export function chatstateBin(t) {
  if (process.env.CHATSTATE_BIN) return process.env.CHATSTATE_BIN;
  if (!built) {
    const dir = mkdtempSync(path.join(tmpdir(), 'chatstate-bin-'));
    built = path.join(dir, 'chatstate');
    execFileSync('go', ['build', '-o', built, './cmd/chatstate'], { cwd: repo, stdio: 'inherit' });
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return built;
}

/** A free loopback port (free when asked: the caller binds it soon after). */
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

const stacks = new WeakMap();

/**
 * Runs fn when the test ends, before whatever was deferred earlier (last in,
 * first out, unlike t.after): a server stops before its directory goes.
 */
export function defer(t, fn) {
  let stack = stacks.get(t);
  if (!stack) {
    stacks.set(t, (stack = []));
    t.after(async () => {
      while (stack.length) await stack.pop()();
    });
  }
  stack.push(fn);
}

/** A temporary directory, removed when the test ends. */
export function tempDir(t, prefix = 'chatstate-js-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  defer(t, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Polls cond until it returns a truthy value, which it returns; throws
 * naming what after timeoutMs.
 */
export async function waitFor(what, cond, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A `chatstate dev` on free ports with its own data directory (or the one
 * given: a restart), stopped when the test ends. Its stderr is kept and
 * shown when it fails to get ready.
 * @param {import('node:test').TestContext} t
 * @param {{dataDir?: string, http?: number, broker?: number, args?: string[]}} [opts]
 */
export async function startServer(t, opts = {}) {
  const dataDir = opts.dataDir || tempDir(t, 'chatstate-data-');
  const httpPort = opts.http || await freePort();
  const brokerPort = opts.broker || await freePort();
  const args = ['dev', '--http', `127.0.0.1:${httpPort}`, '--broker-addr', `127.0.0.1:${brokerPort}`,
    '--data-dir', dataDir, '--log-level', 'warn', ...(opts.args || [])];
  const proc = spawn(chatstateBin(t), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (b) => { log = (log + b).slice(-20000); });
  const exited = once(proc, 'exit');
  const s = {
    proc, dataDir, httpPort, brokerPort, args: opts.args || [],
    url: `http://127.0.0.1:${httpPort}`,
    ws: `ws://127.0.0.1:${httpPort}/ws`,
    log: () => log,
    /** Stops the server (SIGTERM: a clean shutdown) and waits for its exit. */
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGCONT');
      proc.kill(signal);
      await exited;
    },
    /** Stops the process (SIGSTOP) and waits until the kernel says it is stopped. */
    async pause() {
      proc.kill('SIGSTOP');
      await waitFor('the server stopped', () => / T /.test(readFileSync(`/proc/${proc.pid}/stat`, 'utf8').replace(/^.*\)/, '')), 5000);
    },
    resume: () => proc.kill('SIGCONT'),
  };
  defer(t, () => s.stop('SIGKILL'));
  try {
    await waitFor(`${s.url}/readyz`, async () => {
      if (proc.exitCode !== null) throw new Error(`chatstate exited with ${proc.exitCode}`);
      try {
        return (await fetch(`${s.url}/readyz`)).status === 200;
      } catch {
        return false;
      }
    }, 60000);
  } catch (err) {
    err.message += `\n${log}`;
    throw err;
  }
  return s;
}

/** Restarts a server on its ports and data directory (or another: a new log). */
export async function restartServer(t, s, dataDir = s.dataDir) {
  await s.stop();
  return startServer(t, { dataDir, http: s.httpPort, broker: s.brokerPort, args: s.args });
}

/**
 * A TCP proxy on a free port in front of a server's HTTP port. cut() ends
 * every connection through it; down() does that and refuses new ones until
 * up().
 */
export async function startProxy(t, upstreamPort) {
  const socks = new Set();
  let isUp = true;
  const srv = net.createServer((client) => {
    if (!isUp) {
      client.destroy();
      return;
    }
    const up = net.connect(upstreamPort, '127.0.0.1');
    socks.add(client);
    socks.add(up);
    const end = () => {
      client.destroy();
      up.destroy();
      socks.delete(client);
      socks.delete(up);
    };
    client.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    client.pipe(up);
    up.pipe(client);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  const p = {
    ws: `ws://127.0.0.1:${port}/ws`,
    cut() { for (const s of [...socks]) s.destroy(); },
    down() { isUp = false; p.cut(); },
    up() { isUp = true; },
    get open() { return socks.size; },
  };
  defer(t, () => { p.cut(); srv.close(); });
  return p;
}

/**
 * Every entry a room delivered to the application, with the snapshots and
 * the connection's disconnects, for exact assertions.
 */
export function record(client, room) {
  const r = { entries: [], snapshots: [], disconnects: [], states: [], confirmed: [] };
  room.on('snapshot', (s) => {
    r.snapshots.push(s);
    if (s.reset) r.entries.length = 0;
    r.entries.push(...s.events);
  });
  room.on('event', (e) => r.entries.push(e));
  room.on('confirmed', (c) => r.confirmed.push(c));
  client.on('disconnect', (d) => r.disconnects.push(d.code));
  client.on('state', (s) => r.states.push(s));
  r.texts = () => r.entries.filter((e) => e.event.type === 'message').map((e) => e.event.text);
  r.cursors = () => r.entries.map((e) => e.cursor);
  return r;
}

/**
 * The room's events in the log, after cursor after up to cursor until,
 * read over the HTTP API: what a client must have been given.
 */
export async function logEvents(server, room, after, until) {
  const out = [];
  let from = after;
  while (from < until) {
    const res = await fetch(`${server.url}/api/rooms/${room}/events?after=${from}&limit=1000`);
    if (res.status !== 200) throw new Error(`events of ${room}: ${res.status} ${await res.text()}`);
    const body = await res.json();
    for (const e of body.events) if (e.cursor <= until) out.push(e);
    if (body.next <= from) break;
    from = body.next;
  }
  return out;
}

/** Whether the cursors are strictly increasing: in order, none twice. */
export function increasing(cursors) {
  return cursors.every((c, i) => i === 0 || c > cursors[i - 1]);
}
