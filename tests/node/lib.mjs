// Helpers for the broadcaster's Node.js tests: start bin/broadcaster fed on
// stdin, make verifier messages (synthetic chains, or blocks read from an
// anvil node), and small assertion and waiting helpers.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.BLOCKPIPE_BIN || path.join(ROOT, 'bin');

export function fail(msg) {
	console.error(`FAIL: ${msg}`);
	process.exit(1);
}

export function assert(cond, msg) {
	if (!cond) fail(msg);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Wait until fn() is truthy; fail with what after timeoutMs.
export async function waitFor(fn, what, timeoutMs = 20000) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > end) fail(`timed out waiting for ${what}`);
		await sleep(20);
	}
}

// Start the broadcaster reading NDJSON on stdin, on a free port.
// Resolves to { proc, port, url, send(msg), lines, stop() }.
export async function startBroadcaster(extra = [], opts = {}) {
	const args = ['--sub', opts.sub || '-', '--listen', '127.0.0.1:0', ...extra];
	const proc = spawn(path.join(BIN, 'broadcaster'), args, {
		stdio: ['pipe', 'inherit', 'pipe'],
		env: { ...process.env, ...(opts.env || {}) },
	});
	const lines = [];
	const log = opts.log ? createWriteStream(opts.log, { flags: 'a' }) : null;
	let port = 0;
	let exited = null;
	let partial = '';
	proc.stderr.on('data', (d) => {
		if (log) log.write(d);
		const parts = (partial + d.toString()).split('\n');
		partial = parts.pop();
		for (const l of parts) {
			let o;
			try { o = JSON.parse(l); } catch { o = { msg: l }; }
			lines.push(o);
			if (o.msg === 'listening' && o.port) port = o.port;
			if (o.level === 'error' || process.env.VERBOSE) console.error(l);
		}
	});
	proc.on('exit', (code, sig) => { exited = { code, sig }; });
	// Never leave a broadcaster behind when a test fails.
	process.on('exit', () => { if (!exited) proc.kill('SIGKILL'); });
	proc.stdin.on('error', () => {});
	await waitFor(() => port || exited, 'the broadcaster to listen', 10000);
	if (!port) fail(`broadcaster exited: ${JSON.stringify(exited)}`);
	return {
		proc, port, lines,
		url: `ws://127.0.0.1:${port}`,
		http: `http://127.0.0.1:${port}`,
		exited: () => exited,
		send(msg) { proc.stdin.write(JSON.stringify(msg) + '\n'); },
		async stop(signal = 'SIGTERM') {
			if (exited) return exited;
			proc.kill(signal);
			await waitFor(() => exited, 'the broadcaster to exit', 15000);
			if (log) log.end();
			return exited;
		},
	};
}

const h32 = (s) => '0x' + createHash('sha256').update(s).digest('hex');
const h20 = (s) => h32(s).slice(0, 42);
const hex = (n) => '0x' + BigInt(n).toString(16);

export const EMITTER = h20('emitter');
export const TOPIC0 = h32('Ping(address,uint256)');
export const CHAIN_ID = 31337;

// A synthetic chain: blocks with txs and logs, reorgs, in the verifier's
// message shapes (docs/protocol.md).
export class FakeChain {
	constructor({ txs = 2, logs = 1, start = 1, dataBytes = 0 } = {}) {
		this.txs = txs;
		this.pad = 'ab'.repeat(dataBytes);
		this.logs = logs;
		this.seq = 0;
		this.salt = 0;
		this.blocks = []; // canonical: { n, hash, msg }
		this.start = start;
	}

	tip() { return this.blocks[this.blocks.length - 1]; }

	makeBlock(n, parent, live = true) {
		const hash = h32(`block:${n}:${this.salt}`);
		const txs = [];
		const receipts = [];
		for (let i = 0; i < this.txs; i++) {
			const th = h32(`tx:${n}:${this.salt}:${i}`);
			txs.push({
				hash: th, from: h20(`from${i}`), to: EMITTER, value: hex(10n ** 18n * BigInt(i + 1)),
				nonce: hex(n), blockHash: hash, blockNumber: hex(n), transactionIndex: hex(i),
				gas: '0x5208', input: '0x', type: '0x2',
			});
			const logs = [];
			for (let j = 0; j < this.logs; j++) {
				logs.push({
					address: EMITTER, topics: [TOPIC0, h32(`t1:${i}`)], data: hex(n * 100 + j) + this.pad,
					blockNumber: hex(n), blockHash: hash, transactionHash: th,
					transactionIndex: hex(i), logIndex: hex(i * this.logs + j), removed: false,
				});
			}
			receipts.push({ transactionHash: th, blockHash: hash, blockNumber: hex(n), status: '0x1', logs });
		}
		const block = {
			number: hex(n), hash, parentHash: parent, timestamp: hex(1700000000 + n),
			miner: h20('miner'), gasUsed: hex(21000 * this.txs), gasLimit: '0x1c9c380',
			baseFeePerGas: '0x7', difficulty: '0x0', extraData: '0x', logsBloom: '0x' + '00'.repeat(256),
			mixHash: h32('mix'), nonce: '0x0000000000000000', receiptsRoot: h32(`r${n}`),
			sha3Uncles: h32('u'), size: '0x220', stateRoot: h32(`s${n}`), totalDifficulty: '0x0',
			transactionsRoot: h32(`x${n}`), uncles: [], transactions: txs,
		};
		const msg = {
			type: 'block', chain_id: CHAIN_ID, number: n, hash, parent_hash: parent, live,
			fetched_at: Date.now(), block, receipts, seq: ++this.seq, emitted_at: Date.now(),
		};
		return { n, hash, msg };
	}

	// The next block's message.
	next(live = true) {
		const t = this.tip();
		const n = t ? t.n + 1 : this.start;
		const b = this.makeBlock(n, t ? t.hash : h32('genesis'), live);
		this.blocks.push(b);
		return b.msg;
	}

	// Replace the newest `depth` blocks by `newLen` others: the reorg message
	// followed by the new branch's block messages.
	reorg(depth, newLen = depth + 1) {
		const orphaned = this.blocks.splice(this.blocks.length - depth, depth);
		const anc = this.tip();
		this.salt++;
		const msgs = [];
		const newBlocks = [];
		let parent = anc;
		for (let i = 0; i < newLen; i++) {
			const b = this.makeBlock(parent.n + 1, parent.hash);
			newBlocks.push(b);
			parent = b;
		}
		msgs.push({
			type: 'reorg', chain_id: CHAIN_ID, seq: ++this.seq, emitted_at: Date.now(),
			ancestor: { number: anc.n, hash: anc.hash },
			orphaned: orphaned.map((b) => ({ number: b.n, hash: b.hash })),
			new_tip: { number: parent.n, hash: parent.hash }, depth,
			deep: false, invalidate_from: anc.n + 1, invalidate_to: orphaned[orphaned.length - 1].n,
			below_finalized: false,
		});
		for (const b of newBlocks) {
			b.msg.seq = ++this.seq;
			b.msg.emitted_at = Date.now();
			msgs.push(b.msg);
			this.blocks.push(b);
		}
		return { msgs, orphaned, newBlocks };
	}

	heartbeat() {
		const t = this.tip();
		return {
			type: 'heartbeat', chain_id: CHAIN_ID, seq: ++this.seq, prog: 'verifier', time: Date.now(),
			tip: t ? { number: t.n, hash: t.hash } : null,
		};
	}
}

// JSON-RPC over HTTP (Node's fetch), for anvil.
export async function rpc(url, method, params = []) {
	const r = await fetch(url, {
		method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
	});
	const j = await r.json();
	if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
	return j.result;
}

// A minimal verifier stand-in for tests that run before bin/verifier is
// there: follows an anvil node, emits block messages in height order and a
// reorg message (then the new branch) when a parent hash does not match.
export class AnvilFeeder {
	constructor(rpcUrl, send) {
		this.rpcUrl = rpcUrl;
		this.send = send;
		this.hashes = new Map(); // height -> hash
		this.tip = -1;
		this.seq = 0;
		this.chainId = 0;
	}

	async blockMsg(n) {
		const block = await rpc(this.rpcUrl, 'eth_getBlockByNumber', [hex(n), true]);
		const receipts = await rpc(this.rpcUrl, 'eth_getBlockReceipts', [hex(n)]);
		return {
			type: 'block', chain_id: this.chainId, number: n, hash: block.hash,
			parent_hash: block.parentHash, live: true, fetched_at: Date.now(), block, receipts,
		};
	}

	emit(msg) {
		msg.seq = ++this.seq;
		msg.emitted_at = Date.now();
		this.send(msg);
	}

	// Catch up with the node once; returns the heights emitted.
	async poll() {
		if (!this.chainId) this.chainId = Number(await rpc(this.rpcUrl, 'eth_chainId'));
		const head = Number(await rpc(this.rpcUrl, 'eth_blockNumber'));
		const out = [];
		if (this.tip >= 0) {
			// Reorg check: walk back while our hash differs from the node's.
			let h = Math.min(this.tip, head);
			let anc = h;
			while (anc >= 0) {
				const b = await rpc(this.rpcUrl, 'eth_getBlockByNumber', [hex(anc), false]);
				if (b && b.hash === this.hashes.get(anc)) break;
				anc--;
			}
			if (anc < this.tip) {
				const orphaned = [];
				for (let n = anc + 1; n <= this.tip; n++) {
					orphaned.push({ number: n, hash: this.hashes.get(n) });
					this.hashes.delete(n);
				}
				const newTip = await rpc(this.rpcUrl, 'eth_getBlockByNumber', [hex(head), false]);
				this.emit({
					type: 'reorg', chain_id: this.chainId,
					ancestor: { number: anc, hash: this.hashes.get(anc) }, orphaned,
					new_tip: { number: head, hash: newTip.hash }, depth: orphaned.length, deep: false,
					invalidate_from: anc + 1, invalidate_to: this.tip, below_finalized: false,
				});
				this.tip = anc;
			}
		}
		for (let n = this.tip + 1; n <= head; n++) {
			const m = await this.blockMsg(n);
			this.hashes.set(n, m.hash);
			this.emit(m);
			out.push(n);
			this.tip = n;
		}
		return out;
	}
}

// The node's view only (heights and hashes), for tests where the real
// fetcher | verifier feed the broadcaster: same fields as AnvilFeeder.
export class NodeView {
	constructor(rpcUrl) {
		this.rpcUrl = rpcUrl;
		this.hashes = new Map();
		this.tip = -1;
		this.chainId = 0;
	}

	async poll() {
		if (!this.chainId) this.chainId = Number(await rpc(this.rpcUrl, 'eth_chainId'));
		const head = Number(await rpc(this.rpcUrl, 'eth_blockNumber'));
		for (let n = Math.max(0, head - 20); n <= head; n++) {
			const b = await rpc(this.rpcUrl, 'eth_getBlockByNumber', [hex(n), false]);
			if (b) this.hashes.set(n, b.hash);
		}
		this.tip = head;
	}
}

// A ws client collecting messages (parsed) with helpers.
export function collect(ws) {
	const msgs = [];
	ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
	return msgs;
}

// A client of broadcaster b on path that has sent the request sub:
// { ws, msgs (collect), close (its close code once closed) }.
export async function openSubscribed(b, path, sub, opts) {
	const ws = new WebSocket(b.url + path, opts);
	const msgs = collect(ws);
	const c = { ws, msgs, close: null };
	ws.on('close', (code) => { c.close = code; });
	await new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
	ws.send(JSON.stringify(sub));
	return c;
}
