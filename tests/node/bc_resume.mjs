// Gapless resume from the database (docs/broadcaster.md "Resume from the
// database"): a channel client (ws) and a viem client follow the real
// pipeline through a broadcaster with a tiny ring (--replay 4) and --db,
// disconnect; meanwhile the broadcaster is restarted, blocks are mined and
// anvil_reorg replaces blocks they held (with logs) and some they never
// saw; they resume (since_seq; eth_subscribe logs/newHeads with fromBlock)
// and what they hold must equal the node's canonical chain, logs included,
// with removed: true for every log they held from an orphaned block and
// for no other. Also: a plain `since` height older than the ring.
//
// env RPC_URL (anvil), BC_SUB (the verifier's PUB), DB (the pipeline's
// database), BC_LOG.
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { createPublicClient, webSocket } from 'viem';
import { startBroadcaster, rpc, assert, fail, waitFor, sleep } from './lib.mjs';

const RPC = process.env.RPC_URL || fail('RPC_URL is not set');
const DB = process.env.DB || fail('DB is not set');
const SUB = process.env.BC_SUB || fail('BC_SUB is not set');
const PING_TOPIC = '0xfd8d0c1dc3ab254ec49463a1192bb2423b3b851adedec1aa94dcd362dc063c9d';
const RUNTIME = `0x36600b57346000526012565b6000356000525b337f${PING_TOPIC.slice(2)}60206000a200`;
const INIT = `0x603b80600b6000396000f3${RUNTIME.slice(2)}`;
const hex = (n) => '0x' + n.toString(16);
const ARGS = ['--db', DB, '--replay', '4', '--chain-id', '31337', '--replay-page', '3',
	'--ping-interval', '5s', '--pong-timeout', '10s'];

const [from] = await rpc(RPC, 'eth_accounts');
async function send(tx) {
	const h = await rpc(RPC, 'eth_sendTransaction', [{ from, ...tx }]);
	return waitFor(() => rpc(RPC, 'eth_getTransactionReceipt', [h]), 'a receipt');
}
let pings = 0;
const ping = (to) => send({ to, data: '0x' + (++pings).toString(16).padStart(64, '0') });
const head = async () => Number(await rpc(RPC, 'eth_blockNumber'));
const watermark = () => Number(execFileSync('psql', [DB, '-X', '-tAc',
	'select blockpipe_watermark(31337, 0)']).toString().trim());
const synced = async () => watermark() >= await head();

// A channel client's view of the chain, built only from what it is sent.
class ChanView {
	constructor() {
		this.blocks = new Map(); // height -> hash
		this.logs = new Map();   // blockHash:logIndex -> log
		this.hashes = [];        // every newBlock hash, in order
		this.removed = [];       // logs sent with removed: true
		this.seq = 0;
		this.msgs = [];
	}

	connect(url, req) {
		this.ws = new WebSocket(`${url}/v1/stream`);
		this.ws.on('message', (d) => this.on(JSON.parse(d.toString())));
		return new Promise((res, rej) => {
			this.ws.on('open', () => { this.ws.send(JSON.stringify(req)); res(); });
			this.ws.on('error', rej);
		});
	}

	on(m) {
		this.msgs.push(m);
		if (['newBlock', 'newTxs', 'newLog', 'reorg'].includes(m.type)) {
			assert(Number.isInteger(m.seq) && m.seq > 0, `${m.type} without seq: ${JSON.stringify(m)}`);
			if (m.type !== 'newLog') assert(m.seq >= this.seq, `seq went back: ${m.seq} after ${this.seq}`);
			this.seq = Math.max(this.seq, m.seq);
		}
		if (m.type === 'newBlock') {
			this.blocks.set(m.data.height, m.data.hash);
			this.hashes.push(m.data.hash);
		} else if (m.type === 'newTxs') {
			assert(m.hash && Number.isInteger(m.height), `newTxs without height and hash`);
		} else if (m.type === 'reorg') {
			for (const h of [...this.blocks.keys()])
				if (h > m.data.ancestor.number) this.blocks.delete(h);
		} else if (m.type === 'newLog') {
			const k = `${m.data.blockHash}:${Number(m.data.logIndex)}`;
			if (m.data.removed) {
				this.removed.push(m.data);
				this.logs.delete(k);
			} else {
				this.logs.set(k, m.data);
			}
		} else if (m.type === 'error') {
			fail(`channel error: ${m.error}`);
		}
	}

	close() { this.ws.close(); }
}

// A viem client's view: eth_subscribe newHeads and logs through viem's
// WebSocket transport (a fromBlock, the extension, when resuming).
class ViemView {
	constructor() {
		this.blocks = new Map();
		this.logs = new Map();
		this.removed = [];
		this.tip = -1;
	}

	async connect(url, emitter, fromBlock) {
		this.client = createPublicClient({ transport: webSocket(`${url}/v1/eth`, { reconnect: false }) });
		this.closed = false;
		const opt = fromBlock === undefined ? {} : { fromBlock: hex(fromBlock) };
		const onError = (e) => { if (!this.closed) fail(`viem: ${e.message}`); };
		const heads = fromBlock === undefined ? ['newHeads'] : ['newHeads', opt];
		// Both at once: a second fromBlock subscription joins the first
		// before any notification.
		await Promise.all([
			this.client.transport.subscribe({ params: heads, onError,
				onData: (d) => this.head(d.result) }),
			this.client.transport.subscribe({ params: ['logs', { address: emitter, ...opt }], onError,
				onData: (d) => this.log(d.result) }),
		]);
	}

	head(h) {
		const n = Number(h.number);
		this.blocks.set(n, h.hash);
		for (const k of [...this.blocks.keys()]) if (k > n) this.blocks.delete(k);
		this.tip = n;
	}

	log(l) {
		const k = `${l.blockHash}:${Number(l.logIndex)}`;
		if (l.removed) {
			this.removed.push(l);
			this.logs.delete(k);
		} else {
			this.logs.set(k, l);
		}
	}

	async close() {
		this.closed = true;
		(await this.client.transport.getRpcClient()).close();
	}
}

// The node's canonical chain over [lo, hi]: hashes and the emitter's logs.
async function nodeChain(lo, hi, emitter) {
	const blocks = new Map();
	for (let n = lo; n <= hi; n++)
		blocks.set(n, (await rpc(RPC, 'eth_getBlockByNumber', [hex(n), false])).hash);
	const logs = await rpc(RPC, 'eth_getLogs', [{ address: emitter, fromBlock: hex(lo), toBlock: hex(hi) }]);
	return { blocks, logs: new Map(logs.map((l) => [`${l.blockHash}:${Number(l.logIndex)}`, l])) };
}

function sameChain(who, view, want, lo, hi) {
	for (let n = lo; n <= hi; n++)
		assert(view.blocks.get(n) === want.blocks.get(n),
			`${who}: height ${n} is ${view.blocks.get(n)}, the node has ${want.blocks.get(n)}`);
	const held = [...view.logs.keys()].filter((k) => {
		const l = view.logs.get(k);
		return Number(l.blockNumber) >= lo && Number(l.blockNumber) <= hi;
	});
	assert(held.length === want.logs.size && held.every((k) => want.logs.has(k)),
		`${who}: logs ${JSON.stringify(held)} but the node has ${JSON.stringify([...want.logs.keys()])}`);
	for (const [k, l] of want.logs)
		for (const f of ['address', 'data', 'transactionHash', 'blockNumber'])
			assert(view.logs.get(k)[f] === l[f], `${who}: log ${k} ${f} differs from the node's`);
}

process.on('exit', (code) => {
	if (code) console.error(`channel messages: ${JSON.stringify(chan?.msgs.filter((m) => !["newTxs", "newLog", "newBlock"].includes(m.type)))}`);
});

// Every log the client held from a block the node no longer has came
// back with removed: true, and no other did.
function removedExactly(who, view, held, want) {
	const key = (l) => `${l.blockHash}:${Number(l.logIndex)}`;
	const orphaned = held.filter((l) => want.blocks.get(Number(l.blockNumber)) !== l.blockHash);
	const removed = new Set(view.removed.map(key));
	assert(orphaned.length >= 1, `${who}: the reorg orphaned no log it held: the test proves nothing`);
	for (const l of orphaned)
		assert(removed.has(key(l)), `${who}: no removed: true for held log ${key(l)}`);
	assert(view.removed.length === orphaned.length,
		`${who}: ${view.removed.length} logs removed, it held ${orphaned.length} from orphaned blocks`);
}

// ---- phase 1: follow the live stream ----
let b = await startBroadcaster(ARGS, { log: process.env.BC_LOG, sub: SUB });
const emitter = (await send({ data: INIT })).contractAddress;
assert(emitter, 'the emitter was not deployed');
await waitFor(async () => (await fetch(`${b.http}/ready`)).status === 200, 'the broadcaster to be ready', 30000);
var chan = new ChanView();
await chan.connect(b.url, { action: 'subscribe', channels: ['newBlocks', 'newTxs', 'newLogs', 'reorgs'] });
const viem = new ViemView();
await viem.connect(b.url, emitter);
await waitFor(() => chan.msgs.some((m) => m.type === 'subscribed'), 'subscribed');
const start = await head() + 1;
for (let i = 0; i < 6; i++) await ping(emitter);
const tip1 = await head();
await waitFor(() => chan.blocks.get(tip1) && chan.logs.size >= 6, `the channel client to reach ${tip1}`);
await waitFor(() => viem.blocks.get(tip1) && viem.logs.size >= 6, `the viem client to reach ${tip1}`);
chan.close();
await viem.close();
const heldLogs = [...chan.logs.values()];
const viemHeld = [...viem.logs.values()];
const viemFrom = viem.tip + 1;
note(`phase 1: blocks ${start}..${tip1}, ${heldLogs.length} logs, seq ${chan.seq}`);

// ---- away: restart, blocks, a reorg over held blocks, more blocks ----
await b.stop();
await ping(emitter);
await ping(emitter);
await waitFor(synced, 'the database to reach the node', 30000);
// Orphans tip1-1, tip1 (held, with logs) and tip1+1, tip1+2 (never seen).
await rpc(RPC, 'anvil_reorg', [4, [[{ from, to: emitter, data: '0x' + 'ee'.padStart(64, '0') }, 1]]]);
await waitFor(synced, 'the database to follow the reorg', 30000);
b = await startBroadcaster(ARGS, { log: process.env.BC_LOG, sub: SUB });
for (let i = 0; i < 6; i++) await ping(emitter);
await waitFor(synced, 'the database to reach the node', 30000);

// ---- phase 2: resume ----
const seen = chan.hashes.length;
await chan.connect(b.url, { action: 'subscribe', channels: ['newBlocks', 'newTxs', 'newLogs', 'reorgs'],
	since_seq: chan.seq });
await waitFor(() => chan.msgs.some((m) => m.type === 'subscribed' && m.replay_from_seq !== undefined),
	'subscribed with replay_from_seq');
await ping(emitter); // a live block after the seam
const tip2 = await head();
await waitFor(() => chan.blocks.get(tip2), `the channel client to resume up to ${tip2}`, 30000);
await sleep(500);
const want = await nodeChain(start, tip2, emitter);
sameChain('channel', chan, want, start, tip2);
removedExactly('channel', chan, heldLogs, want);
const again = chan.hashes.slice(seen);
assert(new Set(again).size === again.length, 'channel: a block sent twice after the resume');
const had = new Set(chan.hashes.slice(0, seen));
assert(!again.some((h) => had.has(h)), 'channel: a block it had was sent again');
note(`channel: resumed ${again.length} blocks, ${chan.removed.length} logs removed`);
chan.close();

// ---- viem resumes with fromBlock ----
await viem.connect(b.url, emitter, viemFrom);
await waitFor(() => viem.blocks.get(tip2), `the viem client to resume up to ${tip2}`, 30000);
await sleep(500);
sameChain('viem', viem, want, start, tip2);
removedExactly('viem', viem, viemHeld, want);
note(`viem: resumed from block ${viemFrom}, ${viem.removed.length} logs removed`);
await viem.close();

// ---- a since height older than the ring, from the database ----
const late = new ChanView();
await late.connect(b.url, { action: 'subscribe', channels: ['newBlocks', 'newLogs'], since: start });
await waitFor(() => late.blocks.get(tip2), 'the since client to reach the tip', 30000);
await sleep(300);
sameChain('since', late, want, start, tip2);
late.close();

await b.stop();
console.log('ok');

function note(s) { console.error(`# ${s}`); }
