// A channel client for the shell tests: subscribes to newBlocks and reorgs
// on the broadcaster's /v1/stream and prints one line a message,
// "block HEIGHT HASH SEQ" or "reorg SEQ DEPTH ORPHANED_HASH...", and
// "# subscribed" once the subscription is confirmed. With SINCE_SEQ it
// subscribes with "since_seq" (what came after it is replayed first).
//
// usage: node tests/node/bc_watch.mjs ws://127.0.0.1:PORT/v1/stream [SINCE_SEQ]
import WebSocket from 'ws';

const url = process.argv[2];
if (!url) {
	console.error('usage: bc_watch.mjs WS_URL');
	process.exit(2);
}
const ws = new WebSocket(url);
const out = (l) => process.stdout.write(`${l}\n`);
const sub = { action: 'subscribe', channels: ['newBlocks', 'reorgs'] };
if (process.argv[3]) sub.since_seq = Number(process.argv[3]);
ws.on('open', () => ws.send(JSON.stringify(sub)));
ws.on('message', (data) => {
	const m = JSON.parse(data.toString());
	if (m.type === 'subscribed') out('# subscribed');
	else if (m.type === 'error') out(`# error ${m.error}`);
	else if (m.type === 'newBlock') out(`block ${m.data.height} ${m.data.hash} ${m.seq}`);
	else if (m.type === 'reorg') out(`reorg ${m.seq} ${m.data.depth} ${m.data.orphaned.map((o) => o.hash).join(' ')}`);
});
ws.on('error', (e) => { console.error(`bc_watch: ${e.message}`); process.exit(1); });
ws.on('close', (code) => { console.error(`bc_watch: closed ${code}`); process.exit(1); });
process.on('SIGTERM', () => process.exit(0));
