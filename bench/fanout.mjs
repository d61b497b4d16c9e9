// bench/fanout: delivery latency and throughput of the broadcaster for
// many WebSocket clients. See bench/fanout (the wrapper) for usage.
//
// Twice, on the same load: the parent starts the server (bin/broadcaster,
// then the reference bench/fanout_ref.mjs, a Node.js `ws` broadcast server)
// fed on stdin and pinned to cpu SERVER_CPU (taskset; the wrapper pins the
// parent and its workers to the other cpu), starts WORKERS client processes
// (FANOUT_GEN, bench/fanout_gen.c, when the wrapper built it; else this
// file's Node.js worker) that open CLIENTS connections between them (half channel protocol
// newBlocks, half eth_subscribe newHeads), then feeds BLOCKS blocks at
// RATE a second, each stamped emitted_at = now. A client's latency is its
// receive time minus emitted_at (same host clock): it includes the
// server's queueing and the load generator's own delay in reading its
// sockets, which is why the generator's CPU time is shown. The server's
// side: emitted_at to the send's completion (the broadcaster's
// broadcaster_delivery_seconds, to the bucket; the reference's ws.send
// callbacks), and its CPU time per message delivered.
import { execFileSync, fork, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'tests/node/package.json'));
const WebSocket = require('ws');

if (process.argv[2] === 'worker') {
	// A worker: open n clients to url, collect latencies, report on request.
	const [, , , url, n0] = process.argv;
	const n = Number(n0);
	const lat = [];
	let msgs = 0, errors = 0, lastErr = '';
	const socks = [];
	const open = (i) => new Promise((res) => {
		const chan = i % 2 === 0;
		const ws = new WebSocket(url + (chan ? '/v1/stream' : '/'), { perMessageDeflate: false });
		ws.on('open', () => {
			ws.send(chan ? '{"action":"subscribe","channels":["newBlocks"]}'
				: '{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}');
			res();
		});
		ws.on('message', (d) => {
			const now = Date.now();
			msgs++;
			const s = d.toString();
			// Only the timestamp is needed: the block number (eth) or
			// height (channel) indexes the emit time the parent sends.
			const m = chan ? /"height":(\d+)/.exec(s) : /"number":"0x([0-9a-f]+)"/.exec(s);
			if (m) lat.push([chan ? Number(m[1]) : parseInt(m[1], 16), now]);
		});
		ws.on('error', (e) => { errors++; lastErr = e.message; res(); });
		ws.on('close', () => res());
		socks.push(ws);
	});
	for (let i = 0; i < n; i += 200)
		await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, k) => open(i + k)));
	if (errors) console.error(`fanout worker: ${errors} connections failed (${lastErr})`);
	process.send({ type: 'ready', open: socks.filter((s) => s.readyState === 1).length });
	process.on('message', (m) => {
		if (m.type === 'report') {
			for (const s of socks) s.terminate();
			// A large report: exit only once it is written to the channel.
			process.send({ type: 'report', lat, msgs, cpu: process.cpuUsage() }, () => process.exit(0));
		}
	});
} else {
	const { startBroadcaster, FakeChain, sleep } = await import('../tests/node/lib.mjs');
	const CLIENTS = Number(process.env.CLIENTS || 1000);
	const BLOCKS = Number(process.env.BLOCKS || 30);
	const RATE = Number(process.env.RATE || 2);
	const WORKERS = Number(process.env.WORKERS || 2);
	const SERVER_CPU = process.env.SERVER_CPU ?? '0'; // "" for no pinning
	const cpuOf = (pid) => {
		const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		return (Number(f[11]) + Number(f[12])) * 10; // ms (USER_HZ 100)
	};
	// GEN: the C load generator (bench/fanout_gen.c), built by bench/fanout;
	// unset, the Node.js worker above. Both speak the same messages: the
	// C one as JSON lines on its stdout, a "report" line on its stdin.
	const GEN = process.env.FANOUT_GEN || '';
	const spawnGen = (url, n) => {
		const p = spawn(GEN, [new URL(url).port, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
		readline.createInterface({ input: p.stdout }).on('line', (l) => p.emit('message', JSON.parse(l)));
		p.send = (m) => p.stdin.write(`${m.type}\n`);
		return p;
	};
	const quantile = (a, p) => a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : NaN;

	// The broadcaster: its send completion from broadcaster_delivery_seconds
	// (emitted_at to the write of an event's first frame), a quantile read
	// as the upper bound of its histogram bucket.
	async function broadcaster() {
		const b = await startBroadcaster(['--conn-rate', '0', '--max-connections', String(CLIENTS + 100)]);
		if (SERVER_CPU !== '') execFileSync('taskset', ['-a', '-p', '-c', SERVER_CPU, String(b.proc.pid)], { stdio: 'ignore' });
		const metrics = async () => (await fetch(`${b.http}/metrics`)).text();
		const count = (t) => Number((t.match(/^broadcaster_delivery_seconds_count (\d+)/m) || [])[1] || 0);
		return {
			name: 'broadcaster', url: b.url, pid: b.proc.pid, send: (m) => b.send(m),
			sent: async () => count(await metrics()),
			async sendStats() {
				const t = await metrics(), n = count(t);
				const buckets = [...t.matchAll(/^broadcaster_delivery_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)]
					.map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, Number(m[2])]);
				const q = (p) => (buckets.find(([, c]) => c >= p * n) || [NaN])[0];
				const sum = Number((t.match(/^broadcaster_delivery_seconds_sum (\S+)/m) || [])[1]);
				return { sent: n, p50: `<=${q(0.5)}`, p99: `<=${q(0.99)}`, mean: (sum / n * 1000).toFixed(1) };
			},
			stop: () => b.stop(),
		};
	}
	// The reference: bench/fanout_ref.mjs, a Node.js ws server.
	async function reference() {
		const args = [fileURLToPath(new URL('./fanout_ref.mjs', import.meta.url))];
		const p = SERVER_CPU !== '' ? spawn('taskset', ['-c', SERVER_CPU, process.execPath, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
			: spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
		const lines = [];
		const waiters = [];
		readline.createInterface({ input: p.stdout }).on('line', (l) => { const w = waiters.shift(); if (w) w(l); else lines.push(l); });
		const next = () => new Promise((res) => { if (lines.length) res(lines.shift()); else waiters.push(res); });
		const port = Number((await next()).split(' ')[1]);
		const stats = async () => { p.stdin.write('stats\n'); return JSON.parse(await next()); };
		return {
			name: 'reference (Node.js ws)', url: `ws://127.0.0.1:${port}`, pid: p.pid,
			send: (m) => p.stdin.write(JSON.stringify(m) + '\n'),
			sent: async () => (await stats()).sent,
			async sendStats() { return stats(); },
			stop: async () => { p.stdin.end(); await new Promise((r) => p.on('exit', r)); },
		};
	}

	async function run(srv) {
		console.error(`fanout: ${srv.name} at ${srv.url}, forking ${WORKERS} workers`);
		const chain = new FakeChain({ txs: 10, logs: 1 });
		srv.send(chain.heartbeat());
		const workers = [];
		const t0 = Date.now();
		for (let w = 0; w < WORKERS; w++) {
			const n = Math.floor(CLIENTS / WORKERS) + (w < CLIENTS % WORKERS ? 1 : 0);
			const p = GEN ? spawnGen(srv.url, n) : fork(fileURLToPath(import.meta.url), ['worker', srv.url, String(n)], { stdio: 'inherit' });
			p.on('exit', (code, sig) => {
				if (code || sig) console.error(`fanout: worker ${p.pid} exited (${code ?? sig})`);
			});
			workers.push(new Promise((res) => p.on('message', (m) => { if (m.type === 'ready') res({ p, open: m.open }); })));
		}
		const ws = await Promise.all(workers);
		const open = ws.reduce((a, w) => a + w.open, 0);
		const connectMs = Date.now() - t0;
		await sleep(500);
		const cpu0 = cpuOf(srv.pid);
		const emitted = new Map();
		const start = Date.now();
		for (let i = 0; i < BLOCKS; i++) {
			const m = chain.next();
			m.emitted_at = Date.now();
			emitted.set(m.number, m.emitted_at);
			srv.send(m);
			const due = start + ((i + 1) * 1000) / RATE;
			if (due > Date.now()) await sleep(due - Date.now());
		}
		// Let the server finish (a send completed for every client and
		// block), at most 30 s.
		const want = open * BLOCKS;
		const endBy = Date.now() + 30000;
		while (Date.now() < endBy && (await srv.sent()) < want) await sleep(100);
		await sleep(500);
		const feedMs = Date.now() - start;
		const cpu = cpuOf(srv.pid) - cpu0;
		const send = await srv.sendStats();
		const reports = await Promise.all(ws.map(({ p }) => new Promise((res) => {
			p.on('message', (m) => { if (m.type === 'report') res(m); });
			p.send({ type: 'report' });
		})));
		const lats = [], byBlock = new Map();
		let msgs = 0, genCpu = 0, last = 0;
		for (const r of reports) {
			msgs += r.msgs;
			genCpu += (r.cpu.user + r.cpu.system) / 1000;
			for (const [h, t] of r.lat) {
				if (!emitted.has(h)) continue;
				lats.push(t - emitted.get(h));
				if (!byBlock.has(h)) byBlock.set(h, []);
				byBlock.get(h).push(t - emitted.get(h));
				if (t > last) last = t;
			}
		}
		lats.sort((a, b) => a - b);
		// Each block's own p99: a run's p99 can be one block's bad luck.
		const blockP99 = [...byBlock.values()].map((a) => quantile(a.sort((x, y) => x - y), 0.99)).sort((a, b) => a - b);
		await srv.stop();
		return {
			name: srv.name, open, connectMs, expected: want, delivered: lats.length, frames: msgs,
			p50: quantile(lats, 0.5), p99: quantile(lats, 0.99), max: lats[lats.length - 1],
			blockP99: `${quantile(blockP99, 0.5)} / ${blockP99[blockP99.length - 1]}`,
			rate: lats.length / ((last - start) / 1000), span: (last - start) / 1000,
			cpuPct: cpu / feedMs * 100, cpuUsPerMsg: lats.length ? cpu * 1000 / lats.length : NaN,
			genPct: genCpu / (Date.now() - t0) * 100, send,
		};
	}

	const res = [];
	// REF_FIRST=1: the reference first (to see whether the order matters)
	const order = process.env.REF_FIRST === '1' ? [reference, broadcaster] : [broadcaster, reference];
	for (const mk of order) res.push(await run(await mk()));
	if (process.env.REF_FIRST === '1') res.reverse();
	const cores = (await import('node:os')).cpus().length;
	console.log(`clients ${CLIENTS}, blocks ${BLOCKS} at ${RATE}/s, ${WORKERS} load-generator workers (${GEN ? 'C, bench/fanout_gen.c' : 'Node.js ws'}); ` +
		`${cores} cores, server on cpu ${SERVER_CPU || 'any'}, load generator on cpu ${process.env.GEN_CPU || 'any'}; ` +
		`load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
	const col = (label, f) => console.log(`  ${label.padEnd(44)}${res.map((r) => String(f(r)).padStart(24)).join('')}`);
	col('', (r) => r.name.length > 22 ? r.name.slice(0, 22) : r.name);
	col('clients open (connected in ms)', (r) => `${r.open} (${r.connectMs})`);
	col('block messages received / expected', (r) => `${r.delivered}/${r.expected}`);
	col('client receive p50 / p99 / max (ms)', (r) => `${r.p50} / ${r.p99} / ${r.max}`);
	col("a block's p99: median / worst block (ms)", (r) => r.blockP99);
	col('server send completion p50 / p99 (ms)', (r) => `${r.send.p50} / ${r.send.p99}`);
	col('server send completions (mean ms)', (r) => `${r.send.sent} (${r.send.mean})`);
	col('throughput (msgs/s)', (r) => r.rate.toFixed(0));
	col('server CPU (% of a core while feeding)', (r) => r.cpuPct.toFixed(1));
	col('server CPU per message delivered (us)', (r) => r.cpuUsPerMsg.toFixed(2));
	col('load generator CPU (% of a core)', (r) => r.genPct.toFixed(0));
	const [b, ref] = res;
	// The targets: p99 under 100 ms at 10 000 clients, at most half the
	// reference's p99 and CPU a message.
	console.log(`  ratio broadcaster / reference: receive p99 ${(b.p99 / ref.p99).toFixed(2)} ` +
		`(${b.p99} vs ${ref.p99} ms; target < 100 ms and <= 0.5), ` +
		`CPU per message ${(b.cpuUsPerMsg / ref.cpuUsPerMsg).toFixed(2)} (target <= 0.5)`);
	process.exit(res.every((r) => r.delivered === r.expected) ? 0 : 1);
}
