'use strict';
// GET /v1/watch with the `eventsource` npm package (a WHATWG EventSource) against a real
// `cairn serve`: typed events through addEventListener(type), lastEventId equal to the cursor,
// the live frame, resuming with Last-Event-ID (given by hand, then sent by EventSource itself
// when it reconnects after the server restarts on the same ports), with no gap and no duplicate.
//
// Usage: node sse_eventsource_test.cjs <cairn binary> <dir holding node_modules/eventsource>

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [cairn, deps] = process.argv.slice(2);
const { EventSource } = require(path.join(deps, 'node_modules', 'eventsource'));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-eventsource-test-'));
let server = null;
let starts = 0;
const sources = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cleanup() {
  for (const es of sources) es.close();
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  if (!process.env.CAIRN_KEEP_TEST_DIRS) fs.rmSync(work, { recursive: true, force: true });
}

function fail(message) {
  console.error('FAIL: ' + message);
  if (server) {
    const log = fs.readFileSync(server.logPath, 'utf8').trimEnd().split('\n');
    console.error('--- server log (last 20 lines) ---\n' + log.slice(-20).join('\n'));
  }
  cleanup();
  process.exit(1);
}

// Starts the server on the data directory of the test; ports 0 pick free ones.
async function start(respPort, httpPort) {
  starts++;
  const logPath = path.join(work, `server-${starts}.log`);
  const fd = fs.openSync(logPath, 'w');
  server = spawn(cairn, ['serve', '--data-dir', path.join(work, 'data'), '--shards', '1',
                         '--resp-port', String(respPort), '--http-port', String(httpPort),
                         '--bind', '127.0.0.1'],
                 { stdio: ['ignore', 'ignore', fd] });
  fs.closeSync(fd);
  server.logPath = logPath;
  server.exited = new Promise((r) => server.once('exit', (code, signal) => r({ code, signal })));
  for (let i = 0; i < 1000; i++) {
    const m = fs.readFileSync(logPath, 'utf8').match(/serving: resp [^ ]*:(\d+) http [^ ]*:(\d+)/);
    if (m) return { resp: Number(m[1]), http: Number(m[2]) };
    if (server.exitCode !== null) fail('the server exited during startup');
    await sleep(10);
  }
  fail('no startup line from the server');
}

async function stop() {
  server.kill('SIGTERM');
  const { code, signal } = await server.exited;
  if (code !== 0) fail(`the server exited with ${code ?? signal} after SIGTERM`);
}

let base = '';
let appended = 0;

// Appends one event (n = the count so far) to a stream of the org `acme`.
async function append(stream, type) {
  appended++;
  const res = await fetch(`${base}/v1/streams/acme/${stream}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ events: [{ type, data: { n: appended } }] }),
  });
  if (res.status !== 201) fail(`append answered ${res.status}: ${await res.text()}`);
}

// An EventSource on a watch that records every frame: {type, id, data}.
function open(query, init) {
  const es = new EventSource(`${base}/v1/watch?${query}`, init);
  sources.push(es);
  es.frames = [];
  es.opens = 0;
  es.errors = 0;
  for (const type of ['Placed', 'Shipped', 'live']) {
    es.addEventListener(type, (e) => {
      es.frames.push({ type: e.type, id: e.lastEventId, data: JSON.parse(e.data) });
    });
  }
  es.addEventListener('message', (e) => fail(`an untyped message: ${e.data}`));
  es.addEventListener('open', () => es.opens++);
  es.addEventListener('error', () => es.errors++);
  return es;
}

async function waitFor(what, predicate, ms = 10000) {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const ids = (es) => es.frames.map((f) => `${f.id}:${f.type}`).join(' ');

// Checks that each event frame's id is its cursor (position) and its type the event's.
function checkEvents(es) {
  for (const f of es.frames) {
    if (f.type === 'live') {
      if (f.id !== String(f.data.cursor)) fail(`live frame id ${f.id} != ${f.data.cursor}`);
      continue;
    }
    if (f.id !== String(f.data.position)) fail(`lastEventId ${f.id} != ${f.data.position}`);
    if (f.type !== f.data.type) fail(`event type ${f.type} != ${f.data.type}`);
    if (f.data.data.n !== f.data.position) fail(`event ${f.id} carries ${f.data.data.n}`);
  }
}

async function main() {
  const t0 = Date.now();
  const ports = await start(0, 0);
  base = `http://127.0.0.1:${ports.http}`;
  await append('order/1', 'Placed');
  await append('order/1', 'Placed');
  await append('order/2', 'Placed');
  await append('order/2', 'Shipped');
  await append('order/3', 'Placed');

  // Typed events, then the live frame.
  let es = open('scope=acme&from=0');
  await waitFor('the live frame', () => es.frames.some((f) => f.type === 'live'));
  es.close();
  checkEvents(es);
  if (ids(es) !== '1:Placed 2:Placed 3:Placed 4:Shipped 5:Placed 5:live') fail(`got ${ids(es)}`);

  // Reopen with the last id seen as Last-Event-ID (it wins over from=).
  es = open('scope=acme&from=0', {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, 'Last-Event-ID': '3' } }),
  });
  await waitFor('the live frame after Last-Event-ID 3', () => es.frames.some((f) => f.type === 'live'));
  es.close();
  checkEvents(es);
  if (ids(es) !== '4:Shipped 5:Placed 5:live') fail(`after Last-Event-ID 3: ${ids(es)}`);
  es = open('scope=acme/order/2&from=1');
  await waitFor('the live frame of a stream', () => es.frames.some((f) => f.type === 'live'));
  es.close();
  if (ids(es) !== '2:Shipped 2:live') fail(`stream from=1: ${ids(es)}`);

  // A server restart on the same ports while the EventSource is open: it reconnects by itself
  // with Last-Event-ID and continues without gaps or duplicates.
  es = open('scope=acme&from=0');
  await waitFor('the live frame', () => es.frames.some((f) => f.type === 'live'));
  for (let i = 0; i < 5; i++) await append(`order/${i % 3}`, i % 2 ? 'Shipped' : 'Placed');
  await waitFor('event 10', () => es.frames.some((f) => f.id === '10' && f.type !== 'live'));
  await stop();
  await start(ports.resp, ports.http);
  for (let i = 0; i < 5; i++) await append(`order/${i % 3}`, 'Placed');
  await waitFor('event 15 after the restart',
                () => es.frames.some((f) => f.id === '15' && f.type !== 'live'), 20000);
  // When the reconnection comes after some of those appends, they are its catch-up and its
  // live frame follows them: wait for it rather than close before it arrives.
  await waitFor('the live frame of the second connection',
                () => es.frames.filter((f) => f.type === 'live').length >= 2);
  es.close();
  checkEvents(es);
  const events = es.frames.filter((f) => f.type !== 'live').map((f) => Number(f.id));
  const want = Array.from({ length: 15 }, (_, i) => i + 1);
  if (events.join(',') !== want.join(',')) fail(`events across the restart: ${events.join(',')}`);
  const lives = es.frames.filter((f) => f.type === 'live').length;
  if (lives !== 2) fail(`${lives} live frames across two connections: ${ids(es)}`);
  if (es.opens !== 2 || es.errors < 1) fail(`opens ${es.opens}, errors ${es.errors}`);

  await stop();
  cleanup();
  console.log(`sse_eventsource_test: OK in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((e) => fail(e.stack || String(e)));
