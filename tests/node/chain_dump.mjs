// The node's transactions and logs over a range of heights, one line each
// in the format of tests/integration/body_lib.sh's db_dump, for comparing
// a database with the node (values in decimal: BigInt, not jq's doubles).
//
//   node tests/node/chain_dump.mjs --rpc URL --from A --to B
//
//   tx N INDEX HASH FROM TO|- VALUE TYPE STATUS CONTRACT|- EFFECTIVE_GAS_PRICE INPUT
//   log N LOG_INDEX TX_INDEX TX_HASH ADDRESS TOPIC0..3|- DATA
//   block N HASH TX_COUNT LOG_COUNT TIMESTAMP MINER
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const RPC = opt('--rpc');
const from = Number(opt('--from'));
const to = Number(opt('--to'));
if (!RPC || !Number.isInteger(from) || !Number.isInteger(to) || from > to) {
	console.error('usage: chain_dump.mjs --rpc URL --from A --to B');
	process.exit(2);
}

async function batch(calls) {
	const body = calls.map(([method, params], i) => ({ jsonrpc: '2.0', id: i, method, params }));
	const r = await fetch(RPC, { method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body) });
	const j = await r.json();
	const out = [];
	for (const x of j) {
		if (x.error) throw new Error(`${calls[x.id][0]}: ${JSON.stringify(x.error)}`);
		out[x.id] = x.result;
	}
	return out;
}

const dec = (h) => (h === undefined || h === null ? '-' : BigInt(h).toString());
const lc = (h) => (h ? h.toLowerCase() : '-');

const lines = [];
for (let n = from; n <= to; n++) {
	const q = '0x' + n.toString(16);
	const [b, rs] = await batch([['eth_getBlockByNumber', [q, true]], ['eth_getBlockReceipts', [q]]]);
	let nlogs = 0;
	b.transactions.forEach((t, i) => {
		const r = rs[i];
		lines.push(['tx', n, i, lc(t.hash), lc(t.from), lc(t.to), dec(t.value), dec(t.type ?? '0x0'),
			dec(r.status), lc(r.contractAddress), dec(r.effectiveGasPrice), lc(t.input)].join(' '));
		for (const l of r.logs) {
			const tp = [0, 1, 2, 3].map((k) => lc(l.topics[k]));
			lines.push(['log', n, dec(l.logIndex), dec(l.transactionIndex), lc(l.transactionHash), lc(l.address),
				...tp, lc(l.data)].join(' '));
			nlogs++;
		}
	});
	lines.push(['block', n, lc(b.hash), b.transactions.length, nlogs, dec(b.timestamp), lc(b.miner)].join(' '));
}
process.stdout.write(lines.join('\n') + '\n');
