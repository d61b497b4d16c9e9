// A database outage in the middle of replays from the database
// (docs/broadcaster.md "Resume from the database"). A writer commits a
// synthetic chain of HISTORY blocks; a broadcaster --db with a tiny ring
// (32 events) and a slow replay (--replay-rate, --replay-page) gets live
// blocks on stdin, 4 a second, which the writer commits too. Two channel
// clients resume from far back (A: since_seq, B: since a height); in
// the middle of their replays the test's shell stops PostgreSQL with
// `pg_ctl -m immediate` (phase files: this script writes PHASE/stop and
// waits for PHASE/down, then PHASE/start and PHASE/up) and keeps it down
// while live blocks go on arriving (the ring rolls past the seam), and
// a reorg, for several page retries. Meanwhile eth_subscribe newHeads and logs with a
// fromBlock older than the ring must get their id, then close 1011
// `replay from the database failed` (counted as replay_failed), and a
// channel `since` older than the ring the documented error (C, which
// asks again once the database is back). Then every client must hold
// exactly every block from its resume point to the live tip, in order,
// each once (the reorg once, and a block twice only across it), hash,
// height, seq and transactions those of the chain fed and of the
// database, keep receiving live blocks, never have been
// disconnected; and the log must hold one warning for the outage (not
// one a client a retry), every failure counted in
// broadcaster_db_errors_total, and never the DSN's password.
//
// env DB (the broadcaster's DSN, with the password SECRETPW), WRITER_DB,
// BC_LOG, WRITER_LOG, PHASE (a folder), HISTORY (1000), RATE (400).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { startBroadcaster, FakeChain, BIN, EMITTER, assert, fail, waitFor, sleep } from './lib.mjs';

const T0 = Date.now();
const env = (k) => process.env[k] || fail(`${k} is not set`);
const [DB, WRITER_DB, BC_LOG, WRITER_LOG, PHASE] =
	['DB', 'WRITER_DB', 'BC_LOG', 'WRITER_LOG', 'PHASE'].map(env);
const HISTORY = Number(process.env.HISTORY || 1000);
const RATE = process.env.RATE || '400';
const POOL = 2;
// Generous: a loaded 2-core machine, maybe ASan.
const LONG = 120000;

// ---- the chain, committed by a real writer -------------------------------

const chain = new FakeChain({ txs: 2, logs: 1, start: 0 });
// Every block message made (orphaned ones too), by hash.
const sent = new Map();
// The receipt fields the writer requires, which FakeChain leaves out.
function writable(m) {
	sent.set(m.hash, m);
	m.receipts.forEach((r, i) => {
		Object.assign(r, { gasUsed: '0x5208', cumulativeGasUsed: '0x' + (21000 * (i + 1)).toString(16),
			effectiveGasPrice: '0x7' });
		for (const l of r.logs) l.data = '0x' + BigInt(l.data).toString(16).padStart(64, '0');
	});
	return m;
}
const writer = spawn(path.join(BIN, 'writer'), ['--db', WRITER_DB, '--flush-interval', '50ms'],
	{ stdio: ['pipe', 'ignore', openSync(WRITER_LOG, 'a')] });
writer.stdin.on('error', () => {});
process.on('exit', () => writer.kill('SIGKILL'));
const toWriter = (m) => writer.stdin.write(JSON.stringify(m) + '\n');
const psql = (sql) => execFileSync('psql', [WRITER_DB, '-X', '-q', '-tA', '-c', sql]).toString().trim();
const committed = () => Number(psql('SELECT coalesce(max(number), -1) FROM canonical WHERE hash IS NOT NULL'));

for (let i = 0; i < HISTORY; i++) toWriter(writable(chain.next()));
await waitFor(() => committed() === HISTORY - 1, 'the writer to commit the history', LONG);
note(`history of ${HISTORY} blocks committed`);

// ---- the broadcaster, live blocks on its stdin ---------------------------

const bc = await startBroadcaster([...(process.env.BC_ARGS || '').split(' ').filter(Boolean), '--db', DB, '--chain-id', '31337', '--replay', '16',
	'--queue-depth', '16', '--replay-page', '20', '--replay-rate', RATE, '--db-pool', String(POOL)],
{ log: BC_LOG });
let feeding = true;
function feed() {
	const m = writable(chain.next());
	m.emitted_at = Date.now();
	bc.send(m);
	toWriter(m);
}
feed();
const feeder = setInterval(() => { if (feeding) feed(); }, 250);

async function metrics() {
	return (await fetch(`${bc.http}/metrics`)).text();
}
// The value of a metric line (name with its labels, as written), 0 when absent.
async function metric(name) {
	const line = (await metrics()).split('\n').find((l) => l.startsWith(`${name} `));
	return line ? Number(line.slice(name.length + 1)) : 0;
}
const DB_ERRORS = 'broadcaster_db_errors_total';
const REPLAY_FAILED = 'broadcaster_disconnects_total{reason="replay_failed"}';
await waitFor(async () => await metric('broadcaster_input_messages_total') >= 1, 'the first live block');

// ---- channel clients -----------------------------------------------------

class Chan {
	constructor(name) {
		this.name = name;
		this.blocks = []; // { height, hash, parent, txCount, seq, t }
		this.txs = [];    // { height, hash, seq, txs: [hash] }
		this.stream = []; // blocks and reorgs as they came: { reorg, anc, seq } or a block
		this.errors = [];
		this.acks = [];
		this.pongs = 0;
		this.closed = null;
	}

	open() {
		this.ws = new WebSocket(`${bc.url}/v1/stream`, { perMessageDeflate: false });
		this.ws.on('message', (d) => this.on(JSON.parse(d.toString())));
		this.ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; });
		return new Promise((res, rej) => { this.ws.on('open', res); this.ws.on('error', rej); });
	}

	send(req) { this.ws.send(JSON.stringify(req)); }

	on(m) {
		if (m.type === 'newBlock') {
			const b = { height: m.data.height, hash: m.data.hash, parent: m.data.parent_hash,
				txCount: m.data.tx_count, seq: m.seq, t: Date.now() };
			this.blocks.push(b);
			this.stream.push(b);
		} else if (m.type === 'newTxs') {
			this.txs.push({ height: m.height, hash: m.hash, seq: m.seq, txs: m.data.map((t) => t.hash) });
		} else if (m.type === 'reorg') {
			this.stream.push({ reorg: true, anc: m.data.ancestor.number, seq: m.seq });
		} else if (m.type === 'error') {
			this.errors.push(m.error);
		} else if (m.type === 'subscribed') {
			this.acks.push(m);
		} else if (m.type === 'pong') {
			this.pongs++;
		} else {
			fail(`${this.name}: unexpected message ${JSON.stringify(m).slice(0, 200)}`);
		}
	}

	last() { return this.blocks.length ? this.blocks[this.blocks.length - 1].height : -1; }

	alive() {
		assert(!this.closed, `${this.name} was disconnected: ${JSON.stringify(this.closed)}`);
		assert(!this.errors.length || this.name === 'C', `${this.name}: error ${this.errors}`);
	}

	// What it was sent, from height `from` on, is the chain as a client
	// that stayed connected saw it: in seq order, each block the one
	// above the last (or above a reorg's ancestor), none twice, each as
	// it was fed (hash, height, parent, seq, its transactions); one
	// reorg; and what it holds in the end is the canonical chain from
	// `from` to the tip.
	verify(from) {
		const where = () => `${this.name}: heights ${summary(this.blocks.map((b) => b.height))}`;
		const view = new Map();
		let top = from - 1;
		let seq = 0;
		let reorgs = 0;
		for (const e of this.stream) {
			assert(e.seq > seq, `${this.name}: seq ${e.seq} after ${seq}; ${where()}`);
			seq = e.seq;
			if (e.reorg) {
				reorgs++;
				for (const h of [...view.keys()]) if (h > e.anc) view.delete(h);
				top = Math.min(top, e.anc);
				continue;
			}
			assert(e.height === top + 1, `${this.name}: block ${e.height} after ${top} (a gap or a ` +
				`duplicate); ${where()}`);
			const want = sent.get(e.hash);
			const got = JSON.stringify([e.height, e.parent, e.txCount, e.seq]);
			const exp = want && JSON.stringify([want.number, want.parent_hash, 2, want.seq]);
			assert(got === exp, `${this.name}: block ${e.hash}: got ${got}, want ${exp}`);
			view.set(e.height, e);
			top = e.height;
		}
		assert(reorgs === 1, `${this.name}: ${reorgs} reorgs, want 1`);
		const tip = chain.tip().n;
		assert(view.size === tip - from + 1, `${this.name}: holds ${view.size} blocks, want ${tip - from + 1} ` +
			`(${from}..${tip}); ${where()}`);
		for (let h = from; h <= tip; h++)
			assert(view.get(h)?.hash === chain.blocks[h].hash, `${this.name}: at ${h} holds ` +
				`${view.get(h)?.hash}, the chain ${chain.blocks[h].hash}`);
		assert(this.txs.length === this.blocks.length, `${this.name}: ${this.txs.length} newTxs for ` +
			`${this.blocks.length} blocks`);
		this.txs.forEach((t, i) => {
			const want = sent.get(t.hash);
			const got = JSON.stringify([t.hash, t.height, t.seq, t.txs]);
			const exp = JSON.stringify([this.blocks[i].hash, want.number, want.seq,
				want.block.transactions.map((x) => x.hash)]);
			assert(got === exp, `${this.name}: newTxs #${i}: got ${got}, want ${exp}`);
		});
		return `${this.name} ${from}..${tip}: ${this.blocks.length} blocks (${this.blocks.length - view.size} orphaned)`;
	}
}

// Heights as runs: "100-400,402-500" shows a gap or a duplicate at once.
function summary(hs) {
	const runs = [];
	for (const h of hs) {
		const r = runs[runs.length - 1];
		if (r && h === r[1] + 1) r[1] = h;
		else runs.push([h, h]);
	}
	return runs.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',').slice(0, 400);
}

const CHANNELS = ['newBlocks', 'newTxs', 'reorgs'];
const a = new Chan('A');
const b = new Chan('B');
const A_FROM = 100;
const B_FROM = 300;
const C_FROM = 50;
await a.open();
await b.open();
a.send({ action: 'subscribe', channels: CHANNELS, since_seq: chain.blocks[A_FROM - 1].msg.seq });
b.send({ action: 'subscribe', channels: CHANNELS, since: B_FROM });
await waitFor(() => a.blocks.length >= 100 && b.blocks.length >= 1, 'both clients replaying', LONG);
assert(a.acks[0]?.replay_from_seq === chain.blocks[A_FROM - 1].msg.seq, `A: ${JSON.stringify(a.acks)}`);
assert(b.acks[0]?.replay_from === B_FROM, `B: ${JSON.stringify(b.acks)}`);
assert(a.blocks[0].height === A_FROM && b.blocks[0].height === B_FROM,
	`first heights replayed: A ${a.blocks[0].height}, B ${b.blocks[0].height}`);

// ---- the outage ------------------------------------------------------------

async function phase(name) {
	writeFileSync(path.join(PHASE, name), '');
	const next = { stop: 'down', start: 'up' }[name];
	await waitFor(() => existsSync(path.join(PHASE, next)), `the database to be ${next}`, LONG);
}
const lineFrom = bc.lines.length;
note(`stopping the database: A at ${a.last()}, B at ${b.last()}`);
note(`A: ${a.blocks.filter((x, i) => i % 20 === 0 || i === a.blocks.length - 1).map((x) => `${x.height}@${x.t - T0}`).join(' ')}`);
note(`B: ${b.blocks.filter((x, i) => i % 20 === 0 || i === b.blocks.length - 1).map((x) => `${x.height}@${x.t - T0}`).join(' ')}`);
assert(await metric(DB_ERRORS) === 0, `${DB_ERRORS} before the outage: ${await metric(DB_ERRORS)}`);
await phase('stop');
const downAt = Date.now();
const e0 = await metric(DB_ERRORS);
note(`database down: A at ${a.last()}, B at ${b.last()}, ${DB_ERRORS} ${e0}`);
// Mid-replay, else this attacked nothing.
assert(a.last() < HISTORY - 50 && b.last() < HISTORY - 50,
	`the replays ended before the database went down (A at ${a.last()}, B at ${b.last()}): ` +
	'raise HISTORY or lower RATE');

// eth_subscribe with a fromBlock older than the ring: the id, then 1011.
function ethTry(params) {
	return new Promise((res) => {
		const ws = new WebSocket(`${bc.url}/v1/eth`, { perMessageDeflate: false });
		const got = [];
		const timer = setTimeout(() => { ws.terminate(); res({ timeout: true, got }); }, 30000);
		ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params })));
		ws.on('message', (d) => got.push(JSON.parse(d.toString())));
		ws.on('close', (code, reason) => { clearTimeout(timer); res({ code, reason: reason.toString(), got }); });
		ws.on('error', () => {});
	});
}
const failed0 = await metric(REPLAY_FAILED);
const refused0 = await metric('broadcaster_replay_refused_total');
for (const params of [['newHeads', { fromBlock: '0x10' }], ['logs', { address: EMITTER, fromBlock: 16 }]]) {
	const r = await ethTry(params);
	const what = `eth_subscribe ${JSON.stringify(params)} while the database is down`;
	assert(!r.timeout, `${what}: not closed in 30 s; got ${JSON.stringify(r.got)}`);
	assert(r.code === 1011 && r.reason === 'replay from the database failed',
		`${what}: closed ${r.code} '${r.reason}'`);
	assert(r.got.length === 1 && r.got[0].id === 1 && /^0x[0-9a-f]{32}$/.test(r.got[0].result),
		`${what}: want the subscription id and nothing else before the close, got ${JSON.stringify(r.got)}`);
}
assert(await metric(REPLAY_FAILED) === failed0 + 2, `${REPLAY_FAILED}: ${await metric(REPLAY_FAILED)}, ` +
	`want ${failed0 + 2}`);

// A channel `since` older than the ring: an error, the connection kept.
const c = new Chan('C');
await c.open();
const C_ERROR = /^cannot replay since 50: (the database is not reachable|a query of the database failed)$/;
// C asks (again after an error, as a client does): 1 when subscribed.
async function subscribeC() {
	const n = c.errors.length;
	c.send({ action: 'subscribe', channels: CHANNELS, since: C_FROM });
	await waitFor(() => c.errors.length > n || c.acks.length, 'C\'s answer', LONG);
	assert(c.acks.length || C_ERROR.test(c.errors[n]), `C: ${JSON.stringify(c.errors)}`);
	return c.acks.length;
}
assert(!await subscribeC(), `C subscribed while the database is down: ${JSON.stringify(c.acks)}`);
c.send({ action: 'ping' });
await waitFor(() => c.pongs === 1, 'C\'s pong', LONG);
assert(await metric('broadcaster_replay_refused_total') >= refused0 + 3, 'broadcaster_replay_refused_total: ' +
	`${await metric('broadcaster_replay_refused_total')}, want at least ${refused0 + 3}`);

// A reorg meanwhile (2 blocks replaced by 3), which the writer commits
// once the database is back: every client must get it once.
const tipDown = chain.tip().n;
for (const msg of chain.reorg(2, 3).msgs) {
	if (msg.type === 'block') writable(msg);
	msg.emitted_at = Date.now();
	bc.send(msg);
	toWriter(msg);
}
// Down for several page retries (every 500 ms a client) while live
// blocks arrive: 4 s, and the ring (32 events) rolls past the seam.
await waitFor(async () => Date.now() - downAt >= 4000 && await metric(DB_ERRORS) >= e0 + 8,
	'several failed retries', LONG);
a.alive();
b.alive();
assert(a.last() < HISTORY - 1 && b.last() < HISTORY - 1, `live while the database was down: ` +
	`A at ${a.last()}, B at ${b.last()}`);
assert(chain.tip().n - tipDown >= 12, `only ${chain.tip().n - tipDown} live blocks while down`);
await phase('start');
// Down from the stop to the end of the restart's recovery.
const downMs = Date.now() - downAt;
note(`database up after ${downMs} ms: A at ${a.last()}, B at ${b.last()}, ${DB_ERRORS} ` +
	`${await metric(DB_ERRORS)}, live tip ${chain.tip().n}`);

// ---- after: every client gapless to the live tip, and on live -------------

// The workers connect again at most once a second: C may be refused
// once more before they do.
await waitFor(async () => await subscribeC() || (await sleep(300), false), 'C subscribed again', LONG);
const clients = [a, b, c];
await waitState(() => clients.every((x) => x.last() === chain.tip().n), 'the clients to reach the live tip');
assert(c.acks.length === 1 && c.acks[0].replay_from === C_FROM, `C again: ${JSON.stringify(c.acks)}`);
const joined = chain.tip().n;
note(`the clients at the live tip ${joined}`);
await waitState(() => clients.every((x) => x.last() >= joined + 3), 'live blocks after the replays');
feeding = false;
clearInterval(feeder);
await waitState(() => clients.every((x) => x.last() === chain.tip().n), 'the last live block');
await sleep(300); // nothing more may come (a duplicate would)
for (const x of clients) x.alive();
note(`the clients hold the chain: ${[a.verify(A_FROM), b.verify(B_FROM), c.verify(C_FROM)].join(', ')}`);
// The database holds the same chain (the writer retried through the outage).
await waitFor(() => committed() === chain.tip().n, 'the writer to commit the live blocks', LONG);
const rows = psql(`SELECT number || ' 0x' || encode(hash, 'hex') || ' ' || seq FROM canonical
	WHERE number >= ${C_FROM} ORDER BY number`).split('\n');
const want = chain.blocks.slice(C_FROM).map((x) => `${x.n} ${x.hash} ${x.msg.seq}`);
assert(rows.join('\n') === want.join('\n'), `the database's canonical rows differ from the chain fed ` +
	`(${rows.length} rows, ${want.length} blocks): first ${rows.find((r, i) => r !== want[i])}`);

// No connection left behind by the outage: the pool's, no more (the
// broadcaster's DSN names its application_name).
const conns = Number(psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bc_outage'`));
assert(conns >= 1 && conns <= POOL, `${conns} connections of the broadcaster after the outage, pool ${POOL}`);

// ---- metrics and the log ---------------------------------------------------

const errors = await metric(DB_ERRORS);
const m = {
	'broadcaster_replays': 0, 'broadcaster_replays_total': 3, 'broadcaster_connections': 3,
	[REPLAY_FAILED]: failed0 + 2,
};
for (const [k, v] of Object.entries(m))
	assert(await metric(k) === v, `${k}: ${await metric(k)}, want ${v}`);
const text = await metrics();
assert(!text.includes('SECRET'), 'the DSN\'s password in /metrics');

const outage = bc.lines.slice(lineFrom);
const warns = outage.filter((l) => l.level === 'warn' && /^replay/.test(l.msg || ''));
// One warning for the outage (the first failure; at most one a minute
// after), not one a client a retry: 2 replaying clients retried about
// every 500 ms for downMs.
assert(warns.length >= 1 && warns.length <= 2, `${warns.length} replay warnings during a ${downMs} ms ` +
	`outage, want 1 or 2:\n${warns.slice(0, 5).map((l) => JSON.stringify(l)).join('\n')}`);
const reported = warns.reduce((s, l) => s + (l.failures || 0), 0);
const back = outage.filter((l) => l.level === 'info' && /replay/.test(l.msg || '') && l.failures);
assert(back.length === 1, `want one line when replays go on after the outage: ${JSON.stringify(back)}`);
// Nothing failed before the outage: the counter holds every failure.
assert(back[0].failures >= 8 && back[0].failures <= errors && reported <= back[0].failures,
	`failures logged (${reported} warned, ${back[0].failures} at the end) against ${DB_ERRORS} ` +
	`${errors} (${e0} when it went down)`);
// A worker's query that the stop broke: one each.
const broken = outage.filter((l) => /^query failed/.test(l.msg || ''));
assert(broken.length <= POOL, `${broken.length} failed queries logged with ${POOL} workers`);
// The workers' connection attempts: at most one a second each.
const connLines = outage.filter((l) => /cannot connect to PostgreSQL/.test(l.msg || ''));
assert(connLines.length <= POOL * (Math.ceil(downMs / 1000) + 2), `${connLines.length} connection failures logged ` +
	`in ${downMs} ms with ${POOL} workers`);
const leaked = bc.lines.filter((l) => JSON.stringify(l).includes('SECRET'));
assert(!leaked.length, `the DSN's password in the log: ${JSON.stringify(leaked[0])}`);

for (const x of clients) x.ws.close();
const ex = await bc.stop();
assert(ex.code === 0, `the broadcaster exited ${JSON.stringify(ex)}`);
writer.stdin.end();
note(`passed: outage ${downMs} ms, ${errors} failures counted, ${connLines.length} connection ` +
	`failures logged, live tip ${chain.tip().n}`);
process.exit(0);

// waitFor, saying where each client and the replays stand on a timeout.
async function waitState(fn, what) {
	const end = Date.now() + LONG;
	while (!fn()) {
		if (Date.now() > end) {
			const m = (await metrics()).split('\n').filter((l) => /^broadcaster_(replay|db_errors|connections)/.test(l));
			fail(`timed out waiting for ${what}: live tip ${chain.tip().n}, ` +
				[a, b, c].map((x) => `${x.name} at ${x.last()} (${summary(x.blocks.map((y) => y.height))})`)
					.join(', ') + `; ${m.join(', ')}`);
		}
		await sleep(20);
	}
}

function note(s) {
	console.error(`[bc_outage] ${((Date.now() - T0) / 1000).toFixed(1)} s: ${s}`);
}
