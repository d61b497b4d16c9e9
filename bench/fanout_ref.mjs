// bench/fanout's reference server: the usual short Node.js `ws` broadcast
// server, fed the same verifier messages on stdin as the broadcaster, so
// that bench/fanout runs both on the same load.
//
// Clients at /v1/stream send {"action":"subscribe","channels":["newBlocks"]}
// and get {"type":"newBlock","height":N,"hash",...} (the broadcaster's
// newBlock fields); others send eth_subscribe ["newHeads"] and get
// eth_subscription notifications with the header (the block without its
// transactions). One frame is built a block (a subscription's id spliced
// in for eth clients) and sent to every subscriber with ws.send; its
// callback (the frame handed to the kernel) is the server-side send
// completion, timed from the message's emitted_at.
//
// stdin: one verifier message a line (JSON), or "stats": print
// {"sent":N,"p50","p99","max","mean"} (ms, send completions) on stdout.
// First line on stdout: "listening PORT".
//
// usage: node bench/fanout_ref.mjs
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'tests/node/package.json'));
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, backlog: 4096 });
const chan = new Set(), eth = new Map();
let nextId = 1;
const done = [];

wss.on('connection', (ws, req) => {
	const stream = req.url.startsWith('/v1/stream');
	ws.on('message', (d) => {
		let m;
		try { m = JSON.parse(d.toString()); } catch { return; }
		if (stream && m.action === 'subscribe') {
			chan.add(ws);
			ws.send(JSON.stringify({ type: 'subscribed', channels: m.channels }));
		} else if (m.method === 'eth_subscribe') {
			const id = '0x' + (nextId++).toString(16).padStart(32, '0');
			eth.set(ws, id);
			ws.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: id }));
		}
	});
	ws.on('close', () => { chan.delete(ws); eth.delete(ws); });
	ws.on('error', () => {});
});

function broadcast(m) {
	const b = m.block, at = m.emitted_at;
	const { transactions, ...header } = b;
	const nb = JSON.stringify({
		type: 'newBlock', height: m.number, hash: m.hash, parent_hash: m.parent_hash,
		tx_count: transactions.length, timestamp: Number(b.timestamp), miner: b.miner,
		gas_used: Number(b.gasUsed), seq: m.seq,
	});
	const cb = () => done.push(Date.now() - at);
	for (const ws of chan) ws.send(nb, cb);
	const pre = '{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"';
	const post = '","result":' + JSON.stringify(header) + '}}';
	for (const [ws, id] of eth) ws.send(pre + id + post, cb);
}

readline.createInterface({ input: process.stdin }).on('line', (l) => {
	if (l === 'stats') {
		const a = done.slice().sort((x, y) => x - y);
		const q = (p) => a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null;
		const mean = a.length ? (a.reduce((x, y) => x + y, 0) / a.length).toFixed(1) : null;
		process.stdout.write(JSON.stringify({ sent: a.length, p50: q(0.5), p99: q(0.99), max: q(1), mean }) + '\n');
		return;
	}
	let m;
	try { m = JSON.parse(l); } catch { return; }
	if (m.type === 'block' && m.block) broadcast(m);
});
process.stdin.on('end', () => process.exit(0));
wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));
