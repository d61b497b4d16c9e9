// bench/lag: the measuring client of bench/lag (the wrapper starts the
// pipeline). Mines one block every INTERVAL ms with anvil_mine, N times,
// and for each block takes the time from anvil_mine returning to
//   (a) the broadcaster's newHeads notification for that height arriving
//       on a WebSocket client (eth_subscribe at /v1/eth), and
//   (b) the first writer `committed` message whose `to` reaches that
//       height, read from `tap ENDPOINT committed` (the writer
//       publishes it right after its COMMIT).
// Before measuring, it mines warm-up blocks until both paths deliver.
// Prints one JSON line: {"n","ws":{p50,p99,max,missing},"db":{...}} (ms).
// With TAP "-" there is no (b): WS_URL is then the node's own WebSocket,
// and the client measures the limits instead: the node's own newHeads
// notification, and the node answering the fetch any follower must make
// after it (eth_getBlockByNumber(h, true) + eth_getBlockReceipts(h), one
// batch, sent as soon as anvil_mine returns): {"ws":...,"fetch":...}.
//
// usage: node bench/lag.mjs RPC WS_URL TAP|- COMMIT_ENDPOINT|- N INTERVAL_MS
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'tests/node/package.json'));
const WebSocket = require('ws');

const [, , rpc, wsUrl, tapBin, commitEp, n0, iv0] = process.argv;
if (!iv0) {
	console.error('usage: lag.mjs RPC WS_URL TAP COMMIT_ENDPOINT N INTERVAL_MS');
	process.exit(2);
}
const N = Number(n0), INTERVAL = Number(iv0);
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mined = new Map(), wsAt = new Map(), dbAt = new Map();
let committedTo = -1;

async function call(method, params) {
	const r = await fetch(rpc, {
		method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
	});
	const j = await r.json();
	if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
	return j.result;
}

const withDb = tapBin !== '-';
const tap = withDb ? spawn(tapBin, [commitEp, 'committed'], { stdio: ['ignore', 'pipe', 'inherit'] }) : null;
if (tap) readline.createInterface({ input: tap.stdout }).on('line', (line) => {
	const t = now();
	let m;
	try { m = JSON.parse(line); } catch { return; }
	if (m.type !== 'committed' || typeof m.to !== 'number') return;
	for (let h = Math.max(committedTo + 1, m.from); h <= m.to; h++)
		if (!dbAt.has(h)) dbAt.set(h, t);
	committedTo = Math.max(committedTo, m.to);
});

const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
await new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
ws.on('message', (data) => {
	const t = now();
	const m = JSON.parse(data.toString());
	const h = m.params && m.params.result;
	if (m.method === 'eth_subscription' && h && h.number) {
		const num = Number(BigInt(h.number));
		if (!wsAt.has(num)) wsAt.set(num, t);
	}
});
ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));

const fetchAt = new Map();
let height = Number(BigInt(await call('eth_blockNumber', [])));
async function mineOne() {
	await call('anvil_mine', [1]);
	const t = now();
	const h = ++height; // one block a call, nothing else mines
	mined.set(h, t);
	if (!withDb) {
		const hex = '0x' + h.toString(16);
		const r = await fetch(rpc, {
			method: 'POST', headers: { 'content-type': 'application/json' },
			body: JSON.stringify([
				{ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: [hex, true] },
				{ jsonrpc: '2.0', id: 2, method: 'eth_getBlockReceipts', params: [hex] }]),
		});
		await r.json();
		fetchAt.set(h, now());
	}
	return h;
}

// Warm up: until a mined block is seen on both paths (the SUB socket of
// tap and the subscription need a moment to join).
const warmEnd = now() + 30000;
for (;;) {
	const h = await mineOne();
	await sleep(INTERVAL);
	if (wsAt.has(h) && (!withDb || dbAt.has(h))) break;
	if (now() > warmEnd) {
		console.error(`bench/lag: no block seen on both paths within 30 s (ws ${wsAt.size}, committed ${dbAt.size})`);
		process.exit(1);
	}
}
const measured = [];
for (let i = 0; i < N; i++) {
	const t0 = now();
	measured.push(await mineOne());
	const left = INTERVAL - (now() - t0);
	if (left > 0) await sleep(left);
}
const last = measured[measured.length - 1];
const end = now() + 10000;
while ((!wsAt.has(last) || (withDb && !dbAt.has(last))) && now() < end) await sleep(20);

function stats(at) {
	const d = [];
	let missing = 0;
	for (const h of measured) {
		if (at.has(h)) d.push(at.get(h) - mined.get(h));
		else missing++;
	}
	d.sort((a, b) => a - b);
	const q = (p) => (d.length ? d[Math.min(d.length - 1, Math.ceil(p * d.length) - 1)] : NaN);
	return { p50: +q(0.5).toFixed(1), p99: +q(0.99).toFixed(1), max: +q(1).toFixed(1), missing };
}
console.log(JSON.stringify(withDb ? { n: measured.length, ws: stats(wsAt), db: stats(dbAt) }
	: { n: measured.length, ws: stats(wsAt), fetch: stats(fetchAt) }));
ws.close();
if (tap) tap.kill('SIGTERM');
process.exit(0);
