// bench/reorg: the measuring client of bench/reorg (the wrapper starts
// anvil and the pipeline). N times: mine DEPTH blocks with one log each
// (a transaction to the devnet's emitter), wait until the database and a
// WebSocket client have them, then switch the node with anvil_reorg
// [DEPTH, replacement transactions] (depth 1..5 in turn; anvil re-mines to
// the same height) or, every third reorg, anvil_rollback DEPTH + anvil_mine
// DEPTH + 1 (a longer branch). From the switch returning it takes:
//   db:      the database's canonical_blocks equal to the node's chain over
//            the affected heights (psql, polled every POLL_MS <= 10 ms);
//   removed: the WebSocket client (broadcaster, eth_subscribe logs) has
//            every log of the orphaned blocks with removed: true;
//   heads:   the same client (eth_subscribe newHeads) has the new header
//            at every affected height;
//   and, measured in the same run by the same client, the limits: the
//   node's own newHeads of the new tip (its WebSocket), and the node
//   answering the block + receipts batch of the affected heights (what any
//   follower must fetch once told).
// Prints one JSON line: {n, db: {p50,p99,max,missing}, removed, heads,
// node_heads, fetch, db_past_node (db from the node's newHeads of the new
// tip), per_depth: {d: db p50}} (ms).
//
// usage: node bench/reorg.mjs RPC NODE_WS BC_WS PSQL_DSN EMITTER N POLL_MS
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'tests/node/package.json'));
const WebSocket = require('ws');

const [, , rpc, nodeWs, bcWs, dsn, emitter, n0, poll0] = process.argv;
if (!poll0) {
	console.error('usage: reorg.mjs RPC NODE_WS BC_WS PSQL_DSN EMITTER N POLL_MS');
	process.exit(2);
}
const N = Number(n0), POLL = Number(poll0), TIMEOUT = 15000;
const FROM = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const TO = '0x70997970C51812dc3A65C5e2Cae83D9fFf66FE2D';
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hex = (n) => '0x' + n.toString(16);

async function call(method, params) {
	const r = await fetch(rpc, {
		method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
	});
	const j = await r.json();
	if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
	return j.result;
}
async function batch(calls) {
	const r = await fetch(rpc, {
		method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify(calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }))),
	});
	const j = await r.json();
	return j.sort((a, b) => a.id - b.id).map((x) => x.result);
}
const hashes = async (from, to) => (await batch(Array.from({ length: to - from + 1 },
	(_, i) => ['eth_getBlockByNumber', [hex(from + i), false]]))).map((b) => b.hash.toLowerCase());

// One psql, fed a query at a time: it answers each with one line.
const psql = spawn('psql', [dsn, '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1'],
	{ stdio: ['pipe', 'pipe', 'inherit'] });
const answers = [];
readline.createInterface({ input: psql.stdout }).on('line', (l) => { const w = answers.shift(); if (w) w(l); });
const query = (sql) => new Promise((res) => { answers.push(res); psql.stdin.write(sql + ';\n'); });
const matchSql = (from, hs) => 'select count(*) from canonical_blocks where chain_id = 31337 and (number, hash) in (' +
	hs.map((h, i) => `(${from + i}, '\\x${h.slice(2)}'::bytea)`).join(',') + ')';
async function dbEqual(from, hs, t0) {
	const sql = matchSql(from, hs);
	for (;;) {
		const t = now();
		if (Number(await query(sql)) === hs.length) return now() - t0;
		if (now() - t0 > TIMEOUT) return null;
		const left = POLL - (now() - t);
		if (left > 0) await sleep(left);
	}
}

// WebSocket clients: the broadcaster (newHeads + logs) and the node (newHeads).
const heads = new Map(), logs = [], nodeHeads = new Map();
function subscribe(url, kinds, onNote) {
	return new Promise((res, rej) => {
		const ws = new WebSocket(url);
		let acks = 0;
		ws.on('open', () => kinds.forEach((k, i) => ws.send(JSON.stringify(
			{ jsonrpc: '2.0', id: i + 1, method: 'eth_subscribe', params: k }))));
		ws.on('message', (d) => {
			const t = now(), m = JSON.parse(d.toString());
			if (m.id) {
				if (m.error) rej(new Error(`${url}: ${JSON.stringify(m.error)}`));
				else if (++acks === kinds.length) res(ws);
				return;
			}
			if (m.method === 'eth_subscription') onNote(m.params.result, t);
		});
		ws.on('error', rej);
	});
}
const bc = await subscribe(bcWs, [['newHeads'], ['logs', {}]], (r, t) => {
	if (r.transactionHash !== undefined || r.logIndex !== undefined) logs.push({ ...r, t });
	else if (r.hash) heads.set(r.hash.toLowerCase(), t);
});
const nd = await subscribe(nodeWs, [['newHeads']], (r, t) => { if (r.hash) nodeHeads.set(r.hash.toLowerCase(), t); });

async function waitFor(cond, what) {
	const end = now() + TIMEOUT;
	while (!cond()) {
		if (now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(5);
	}
}
const emitTx = () => ({ from: FROM, to: emitter, data: '0x' });

const res = { db: [], removed: [], heads: [], node_heads: [], fetch: [], db_past_node: [] };
const miss = { db: 0, removed: 0, heads: 0, node_heads: 0, fetch: 0, db_past_node: 0 };
const perDepth = {};
for (let i = 0; i < N; i++) {
	const depth = (i % 5) + 1, longer = i % 3 === 2;
	// The blocks to orphan, each with one log; settled everywhere first.
	// anvil may answer eth_sendTransaction before the block is mined: the
	// head is the one these blocks make (reading it at once measured, now
	// and then, a reorg of heights the switch did not touch).
	const before = Number(await call('eth_blockNumber', []));
	for (let k = 0; k < depth; k++) await call('eth_sendTransaction', [emitTx()]);
	const head = before + depth;
	while (Number(await call('eth_blockNumber', [])) < head) await sleep(2);
	const from = head - depth + 1;
	const old = await hashes(from, head);
	const oldLogs = (await call('eth_getLogs', [{ fromBlock: hex(from), toBlock: hex(head) }])).length;
	if (await dbEqual(from, old, now()) === null) throw new Error(`reorg ${i}: the blocks to orphan never reached the database`);
	await waitFor(() => old.every((h) => heads.has(h)), `reorg ${i}: the heads to orphan on the WebSocket`);
	await sleep(100);
	const seen = logs.length;
	// The switch.
	let to = head;
	if (longer) {
		await call('anvil_rollback', [depth]);
		await call('anvil_mine', [depth + 1]);
		to = head + 1;
	} else {
		const txs = [];
		for (let k = 0; k < depth; k += 2) txs.push([emitTx(), k], [{ from: FROM, to: TO, value: hex(k + 1) }, k]);
		await call('anvil_reorg', [depth, txs]);
	}
	const t0 = now();
	const fb = await batch(Array.from({ length: to - from + 1 }, (_, k) => [
		['eth_getBlockByNumber', [hex(from + k), true]], ['eth_getBlockReceipts', [hex(from + k)]]]).flat());
	res.fetch.push(now() - t0);
	const neu = fb.filter((_, k) => k % 2 === 0).map((b) => b.hash.toLowerCase());
	const d = await dbEqual(from, neu, t0);
	if (d === null) miss.db++; else { res.db.push(d); (perDepth[depth] ??= []).push(d); }
	const removedDone = () => logs.slice(seen).filter((l) => l.removed && old.includes(l.blockHash.toLowerCase())).length >= oldLogs;
	const headsDone = () => neu.every((h) => heads.has(h));
	try { await waitFor(() => removedDone() && headsDone() && nodeHeads.has(neu[neu.length - 1]), 'ws'); } catch { /* counted below */ }
	if (removedDone()) {
		const rem = logs.slice(seen).filter((l) => l.removed && old.includes(l.blockHash.toLowerCase()));
		res.removed.push(Math.max(...rem.map((l) => l.t)) - t0);
	} else miss.removed++;
	if (headsDone()) res.heads.push(Math.max(...neu.map((h) => heads.get(h))) - t0); else miss.heads++;
	const nt = nodeHeads.get(neu[neu.length - 1]);
	if (nt !== undefined) res.node_heads.push(nt - t0); else miss.node_heads++;
	// the pipeline's own share: from the node's announcement of the new tip
	if (nt !== undefined && d !== null) res.db_past_node.push(Math.max(0, d - (nt - t0))); else miss.db_past_node++;
	const got = logs.slice(seen).filter((l) => l.removed && old.includes(l.blockHash.toLowerCase())).length;
	const last = (a) => (a.length ? a[a.length - 1].toFixed(1) : '-');
	console.error(`reorg ${i}: depth ${depth}${longer ? ' (longer branch)' : ''} at ${from}..${to}: ` +
		`db ${d === null ? 'missing' : d.toFixed(1)} ms, removed logs ${got}/${oldLogs} ` +
		`${removedDone() ? last(res.removed) + ' ms' : 'missing'}, heads ${headsDone() ? last(res.heads) + ' ms' : 'missing'}`);
}
const q = (a, p) => a.length ? Number(a[Math.min(a.length - 1, Math.floor(p * a.length))].toFixed(1)) : null;
const stat = (k) => {
	const a = res[k].slice().sort((x, y) => x - y);
	return { p50: q(a, 0.5), p99: q(a, 0.99), max: q(a, 1), missing: miss[k] };
};
const out = { n: N };
for (const k of Object.keys(res)) out[k] = stat(k);
out.per_depth = Object.fromEntries(Object.entries(perDepth).map(([k, a]) => [k, q(a.sort((x, y) => x - y), 0.5)]));
console.log(JSON.stringify(out));
bc.terminate(); nd.terminate(); psql.stdin.end();
process.exit(0);
