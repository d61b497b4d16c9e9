// PUB counter gaps over real ZeroMQ: bin/bc_pubfeed publishes the
// verifier's three frames with counters we choose; the broadcaster (--sub)
// detects the jump, counts it and tells channel clients with a `gap`
// message; a counter back at 0 (publisher restart) is no gap.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { startBroadcaster, FakeChain, BIN, collect, assert, waitFor, sleep } from './lib.mjs';

const port = await new Promise((res) => {
	const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
});
const pub = spawn(path.join(BIN, 'bc_pubfeed'), [`tcp://127.0.0.1:${port}`], { stdio: ['pipe', 'inherit', 'inherit'] });
process.on('exit', () => pub.kill('SIGKILL'));
const line = (topic, counter, msg) => pub.stdin.write(`${topic} ${counter} ${JSON.stringify(msg)}\n`);

const b = await startBroadcaster([], { log: process.env.BC_LOG, sub: `tcp://127.0.0.1:${port}` });
const chain = new FakeChain();
// Heartbeats until the subscription is up (PUB drops before a SUB joins).
let hb = 0;
await waitFor(async () => {
	line('heartbeat', hb++, chain.heartbeat());
	return (await fetch(`${b.http}/ready`)).status === 200;
}, 'the broadcaster to receive from the PUB socket');

const ws = new WebSocket(`${b.url}/v1/stream`);
const msgs = collect(ws);
await new Promise((r) => ws.on('open', r));
ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks'] }));
await waitFor(() => msgs.some((m) => m.type === 'subscribed'), 'subscribed');

line('block', 0, chain.next());
line('block', 1, chain.next());
chain.next(); chain.next(); // lost: counters 2 and 3
line('block', 4, chain.next());
line('block', 0, chain.next()); // the publisher restarted: not a gap
line('block', 1, chain.next());
await waitFor(() => msgs.filter((m) => m.type === 'newBlock').length >= 5, 'the blocks');
await sleep(200);
const seq = msgs.filter((m) => m.type !== 'subscribed').map((m) => (m.type === 'gap' ? `gap${m.data.lost}` : m.data.height));
assert(seq.join() === '1,2,gap2,5,6,7', `messages: ${seq}`);
const gap = msgs.find((m) => m.type === 'gap').data;
assert(gap.topic === 'block' && gap.expected === 2 && gap.got === 4 && gap.source === `tcp://127.0.0.1:${port}`,
	`gap message ${JSON.stringify(gap)}`);
const met = await (await fetch(`${b.http}/metrics`)).text();
assert(/^broadcaster_seq_gaps_total 2$/m.test(met), 'broadcaster_seq_gaps_total');
assert(b.lines.some((l) => l.msg === "messages lost on topic 'block'" && l.lost === 2), 'the gap log line');
pub.stdin.end();
const st = await b.stop();
assert(st.code === 0, `exit ${JSON.stringify(st)}`);
console.log(`ok: PUB gap detected and told (${seq})`);
process.exit(0);
