// A WebSocket client for the end-to-end and chaos tests: subscribes to
// newHeads (eth_subscribe) on the broadcaster and prints every header it
// receives as one line, "NUMBER HASH" (NUMBER decimal). It reconnects when
// the broadcaster goes away (the chaos test kills it), printing
// "# connected" each time a subscription is confirmed.
//
// usage: node tests/node/e2e_heads.mjs ws://127.0.0.1:PORT/v1/eth
import WebSocket from 'ws';

const url = process.argv[2];
if (!url) {
	console.error('usage: e2e_heads.mjs WS_URL');
	process.exit(2);
}

function connect() {
	const ws = new WebSocket(url);
	ws.on('open', () => {
		ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
	});
	ws.on('message', (data) => {
		let m;
		try { m = JSON.parse(data.toString()); } catch { return; }
		if (m.id === 1) {
			if (m.result) process.stdout.write('# connected\n');
			else console.error(`subscribe failed: ${JSON.stringify(m.error)}`);
			return;
		}
		const h = m.params && m.params.result;
		if (m.method === 'eth_subscription' && h && h.number && h.hash)
			process.stdout.write(`${Number(BigInt(h.number))} ${h.hash.toLowerCase()}\n`);
	});
	ws.on('error', () => {});
	ws.on('close', () => setTimeout(connect, 200));
}
connect();
process.on('SIGTERM', () => process.exit(0));
