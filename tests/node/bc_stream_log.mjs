// A channel-protocol client for the pipeline tests: subscribes to the
// channels given on /v1/stream and prints every message it receives as
// one JSON line, and "# connected" once the subscription is confirmed.
//
// usage: node tests/node/bc_stream_log.mjs ws://127.0.0.1:PORT/v1/stream CHANNEL...
import WebSocket from 'ws';

const [url, ...channels] = process.argv.slice(2);
if (!url || channels.length === 0) {
	console.error('usage: bc_stream_log.mjs WS_URL CHANNEL...');
	process.exit(2);
}
const ws = new WebSocket(url);
ws.on('open', () => ws.send(JSON.stringify({ action: 'subscribe', channels })));
ws.on('message', (data) => {
	const text = data.toString();
	let m;
	try { m = JSON.parse(text); } catch { console.error(`not JSON: ${text}`); return; }
	if (m.type === 'subscribed') process.stdout.write('# connected\n');
	else process.stdout.write(`${JSON.stringify(m)}\n`);
});
ws.on('error', (e) => console.error(`websocket: ${e.message}`));
ws.on('close', (code) => { console.error(`closed: ${code}`); process.exit(1); });
process.on('SIGTERM', () => process.exit(0));
