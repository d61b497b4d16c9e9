// Many concurrent clients (default 1000: half on the channel protocol,
// half on eth_subscribe newHeads), each must receive every event. No
// timing assertions: only completeness and order.
import WebSocket from 'ws';
import { startBroadcaster, FakeChain, assert, waitFor, sleep } from './lib.mjs';

const N = Number(process.env.CLIENTS || 1000);
const BLOCKS = Number(process.env.BLOCKS || 20);
const b = await startBroadcaster(['--conn-rate', '0', '--max-connections', String(N + 100)],
	{ log: process.env.BC_LOG });
const chain = new FakeChain({ txs: 5, logs: 1 });
b.send(chain.heartbeat());

const clients = [];
async function connect(i) {
	const chan = i % 2 === 0;
	const ws = new WebSocket(b.url + (chan ? '/v1/stream' : '/'));
	const c = { ws, chan, heights: [], closed: false, subscribed: false };
	ws.on('message', (d) => {
		const m = JSON.parse(d);
		if (m.type === 'newBlock') c.heights.push(m.data.height);
		else if (m.method === 'eth_subscription') c.heights.push(parseInt(m.params.result.number, 16));
		else if (m.type === 'subscribed' || m.result) c.subscribed = true;
	});
	ws.on('close', () => { c.closed = true; });
	await new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); });
	ws.send(chan ? JSON.stringify({ action: 'subscribe', channels: ['newBlocks'] })
		: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
	clients.push(c);
}
// Connect in batches of 100.
for (let i = 0; i < N; i += 100)
	await Promise.all(Array.from({ length: Math.min(100, N - i) }, (_, k) => connect(i + k)));
await waitFor(() => clients.every((c) => c.subscribed), `${N} subscriptions`, 60000);

for (let i = 0; i < BLOCKS; i++) {
	b.send(chain.next());
	await sleep(20);
}
const want = Array.from({ length: BLOCKS }, (_, i) => i + 1).join();
await waitFor(() => clients.every((c) => c.heights.length >= BLOCKS), 'every client to get every block', 60000);
for (const c of clients) {
	assert(c.heights.join() === want, `a client got ${c.heights.join()}`);
	assert(!c.closed, 'a client was closed');
}
const met = await (await fetch(`${b.http}/metrics`)).text();
const conns = Number(met.match(/broadcaster_connections (\d+)/)[1]);
assert(conns === N, `broadcaster_connections ${conns}`);
for (const c of clients) c.ws.terminate();
const st = await b.stop();
assert(st.code === 0, `exit ${JSON.stringify(st)}`);
console.log(`ok: ${N} clients x ${BLOCKS} blocks, all received in order`);
process.exit(0);
