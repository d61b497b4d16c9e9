// bench/replay: see bench/replay (the wrapper) for what and how.
//
// Starts the broadcaster fed on stdin with --db, feeds live blocks above
// the database's at 2 a second (each stamped emitted_at = now), keeps LIVE
// channel clients on newBlocks and times them (receive minus the emit
// time of that height, same host clock) for 10 s alone, then opens CLIENTS
// clients that each subscribe with since_seq = FROM_SEQ (BLOCKS blocks
// back, from the database) and waits until each has had every one of
// them, sampling the broadcaster's RSS meanwhile.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'tests/node/package.json'));
const WebSocket = require('ws');
const env = (k) => Number(process.env[k]);
const [CLIENTS, BLOCKS, LIVE, TIPS] = ['CLIENTS', 'BLOCKS', 'LIVE', 'TIPS'].map(env);
const FROM_SEQ = process.env.FROM_SEQ;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hex = (n) => '0x' + n.toString(16);
const h32 = (n) => '0x' + n.toString(16).padStart(64, '0');

const b = spawn(path.join(process.env.BIN, 'broadcaster'), ['--sub', '-', '--listen', '127.0.0.1:0',
	'--db', process.env.DB, '--chain-id', '31337', '--replay', '20000', '--queue-depth', '4096',
	'--db-pool', process.env.POOL, '--replay-page', process.env.PAGE, '--replay-rate', process.env.RATE,
	'--max-connections', '20000', '--conn-rate', '0'], { stdio: ['pipe', 'inherit', 'pipe'] });
let port = 0;
b.stderr.on('data', (d) => {
	for (const l of d.toString().split('\n')) {
		const m = /"msg":"listening".*"port":(\d+)/.exec(l);
		if (m) port = Number(m[1]);
		if (/"level":"(error|warn)"|Sanitizer|runtime error/.test(l)) console.error(l);
	}
});
process.on('exit', () => b.kill('SIGKILL'));
while (!port) await sleep(20);
const url = `ws://127.0.0.1:${port}/v1/stream`;

// Live blocks above the database's, 2 a second.
const emitted = new Map();
let next = TIPS;
function feed() {
	const n = next++;
	const now = Date.now();
	emitted.set(n, now);
	const block = { number: hex(n), hash: h32(1e12 + n), parentHash: h32(1e12 + n - 1),
		timestamp: hex(1700000000 + n), miner: '0x' + '11'.repeat(20), gasUsed: '0x0', transactions: [] };
	b.stdin.write(JSON.stringify({ type: 'block', chain_id: 31337, number: n, hash: block.hash,
		parent_hash: block.parentHash, live: true, seq: 2 ** 32 + n + 1, emitted_at: now,
		block, receipts: [] }) + '\n');
}
const feeder = setInterval(feed, 500);
feed();

function open(onMsg, req) {
	return new Promise((res) => {
		const ws = new WebSocket(url, { perMessageDeflate: false });
		ws.on('open', () => { ws.send(JSON.stringify(req)); res(ws); });
		ws.on('message', (d) => onMsg(d.toString()));
		ws.on('error', (e) => { console.error(`client: ${e.message}`); res(ws); });
	});
}

// Live clients: latency per received block, into the current bucket.
let lat = [];
for (let i = 0; i < LIVE; i++)
	await open((s) => {
		const m = /"height":(\d+)/.exec(s);
		if (m && emitted.has(Number(m[1]))) lat.push(Date.now() - emitted.get(Number(m[1])));
	}, { action: 'subscribe', channels: ['newBlocks'] });
await sleep(10000);
const quiet = lat;
lat = [];

// RSS of the broadcaster, sampled.
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${b.pid}/status`, 'utf8'))[1]) / 1024;
const rss0 = rss();
let rssMax = rss0;
const sampler = setInterval(() => { rssMax = Math.max(rssMax, rss()); }, 200);

// The replaying clients.
const t0 = Date.now();
const done = [];
let got = 0;
const socks = [];
for (let i = 0; i < CLIENTS; i += 200) {
	await Promise.all(Array.from({ length: Math.min(200, CLIENTS - i) }, () => {
		let n = 0;
		return open((s) => {
			if (!s.startsWith('{"type":"newBlock"')) return;
			const h = Number(/"height":(\d+)/.exec(s)[1]);
			if (h >= TIPS) return;
			got++;
			if (++n === BLOCKS) done.push(Date.now() - t0);
		}, { action: 'subscribe', channels: ['newBlocks', 'newTxs', 'newLogs'], since_seq: Number(FROM_SEQ) })
			.then((ws) => socks.push(ws));
	}));
}
// At most 10 minutes, or as long as the replays take at 1000 blocks/s
// (the full size, 10 million blocks, takes the better part of an hour).
const deadline = Date.now() + Math.max(600000, CLIENTS * BLOCKS);
while (done.length < CLIENTS && Date.now() < deadline) await sleep(100);
const wall = (Date.now() - t0) / 1000;
clearInterval(sampler);
clearInterval(feeder);
const during = lat;
const pct = (a, p) => {
	const s = [...a].sort((x, y) => x - y);
	return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};
// (not Math.max(...a): a full run's million latencies overflow the stack)
const top = (a) => a.reduce((m, x) => (x > m ? x : m), -Infinity);
const sorted = [...done].sort((x, y) => x - y);
console.log(`replay: ${CLIENTS} clients x ${BLOCKS} blocks (pool ${process.env.POOL}, page ${process.env.PAGE}, ` +
	`rate ${process.env.RATE || 0}): ${done.length} done, ${got} blocks in ${wall.toFixed(1)} s, ` +
	`${Math.round(got / wall)} blocks/s; a client done after p50 ${(pct(sorted, 0.5) / 1000).toFixed(1)} s, ` +
	`max ${((sorted[sorted.length - 1] || 0) / 1000).toFixed(1)} s`);
console.log(`broadcaster RSS: ${rss0.toFixed(0)} MiB before, ${rssMax.toFixed(0)} MiB at most during the replays`);
console.log(`live clients (${LIVE}), latency p50 / p99 / max: alone ${pct(quiet, 0.5)} / ${pct(quiet, 0.99)} / ` +
	`${top(quiet)} ms (${quiet.length} msgs); during the replays ${pct(during, 0.5)} / ` +
	`${pct(during, 0.99)} / ${top(during)} ms (${during.length} msgs)`);
for (const ws of socks) ws.terminate();
b.kill('SIGTERM');
process.exit(done.length === CLIENTS ? 0 : 1);
