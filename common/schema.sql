-- blockpipe schema (docs/schema.md describes every table).
--
-- Idempotent: every statement may run again on a database that already has
-- it. The writer embeds this file and applies it (db_apply_schema) under an
-- advisory transaction lock, then records the version in schema_version;
-- `psql -f common/schema.sql` works as well.
--
-- Every table is keyed by chain_id first so several chains share one
-- database. Hashes, addresses and byte strings are bytea; 256-bit values
-- numeric(78,0); gas and counts bigint; times timestamptz.

CREATE TABLE IF NOT EXISTS schema_version (
	version    integer PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
);

-- Blocks, transactions and logs are content-addressed (by block hash):
-- writing one twice is a no-op. Which block is canonical at a height lives
-- in `canonical`; a block row says nothing about it.
CREATE TABLE IF NOT EXISTS blocks (
	chain_id          bigint NOT NULL,
	hash              bytea NOT NULL,
	number            bigint NOT NULL,
	parent_hash       bytea NOT NULL,
	timestamp         timestamptz NOT NULL,
	miner             bytea,
	gas_used          bigint NOT NULL,
	gas_limit         bigint NOT NULL,
	base_fee          numeric(78,0),
	size              bigint,
	tx_count          integer NOT NULL,
	state_root        bytea,
	transactions_root bytea,
	receipts_root     bytea,
	logs_bloom        bytea,
	extra_data        bytea,
	mix_hash          bytea,
	nonce             bytea,
	difficulty        numeric(78,0),
	sha3_uncles       bytea,
	blob_gas_used     bigint,
	excess_blob_gas   bigint,
	withdrawals_root  bytea,
	parent_beacon_block_root bytea,
	PRIMARY KEY (chain_id, hash)
);

CREATE TABLE IF NOT EXISTS transactions (
	chain_id            bigint NOT NULL,
	block_hash          bytea NOT NULL,
	tx_index            integer NOT NULL,
	block_number        bigint NOT NULL,
	hash                bytea NOT NULL,
	from_addr           bytea NOT NULL,
	to_addr             bytea,
	value               numeric(78,0) NOT NULL,
	gas                 bigint NOT NULL,
	gas_price           numeric(78,0),
	max_fee             numeric(78,0),
	max_priority_fee    numeric(78,0),
	nonce               numeric(20,0) NOT NULL,
	type                smallint NOT NULL,
	input               bytea NOT NULL,
	status              smallint,
	gas_used            bigint,
	cumulative_gas_used bigint,
	effective_gas_price numeric(78,0),
	contract_address    bytea,
	PRIMARY KEY (chain_id, block_hash, tx_index)
);

CREATE TABLE IF NOT EXISTS logs (
	chain_id     bigint NOT NULL,
	block_hash   bytea NOT NULL,
	log_index    integer NOT NULL,
	block_number bigint NOT NULL,
	tx_hash      bytea NOT NULL,
	tx_index     integer NOT NULL,
	address      bytea NOT NULL,
	topic0       bytea,
	topic1       bytea,
	topic2       bytea,
	topic3       bytea,
	data         bytea NOT NULL,
	PRIMARY KEY (chain_id, block_hash, log_index)
);

-- The canonical chain: one row a height. hash NULL is a tombstone (the
-- height was invalidated by a reorg and its new block has not arrived).
-- Every change is guarded by seq (docs/architecture.md):
--   INSERT ... ON CONFLICT (chain_id, number) DO UPDATE
--   SET hash = excluded.hash, seq = excluded.seq
--   WHERE canonical.seq < excluded.seq
CREATE TABLE IF NOT EXISTS canonical (
	chain_id bigint NOT NULL,
	number   bigint NOT NULL,
	hash     bytea,
	seq      bigint NOT NULL,
	PRIMARY KEY (chain_id, number)
);

-- The data-invalidation record: one row a reorg, never deleted.
CREATE TABLE IF NOT EXISTS reorgs (
	chain_id        bigint NOT NULL,
	seq             bigint NOT NULL,
	ancestor_number bigint,
	ancestor_hash   bytea,
	old_tip         bigint NOT NULL,
	old_tip_hash    bytea,
	new_tip_number  bigint,
	new_tip_hash    bytea,
	depth           bigint NOT NULL,
	orphaned        jsonb NOT NULL,
	invalidate_from bigint NOT NULL,
	invalidate_to   bigint NOT NULL,
	deep            boolean NOT NULL DEFAULT false,
	below_finalized boolean NOT NULL DEFAULT false,
	at              timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (chain_id, seq)
);
-- Version 2: a deep reorg below block 0 has no ancestor; a repair (the
-- verifier's audit replacing pointers the database got wrong) is marked.
ALTER TABLE reorgs ALTER COLUMN ancestor_number DROP NOT NULL;
ALTER TABLE reorgs ADD COLUMN IF NOT EXISTS repair boolean NOT NULL DEFAULT false;
-- Version 6: a reorg the verifier recorded (blockpipe_record_reorg) but
-- has not yet confirmed it sent (blockpipe_reorg_sent) is unsent; a
-- verifier that starts sends those again, with their seq, before
-- anything new (docs/architecture.md). A row a writer wrote, a repair
-- and every row from before version 6 are not: their message went out,
-- or there is none.
ALTER TABLE reorgs ADD COLUMN IF NOT EXISTS unsent boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS reorgs_unsent_idx ON reorgs (chain_id, seq) WHERE unsent;

-- The verifier's epoch (seq = epoch << 32 | counter), one row a chain.
CREATE TABLE IF NOT EXISTS verifier_epochs (
	chain_id   bigint PRIMARY KEY,
	epoch      bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS blocks_number_idx ON blocks (chain_id, number);
CREATE INDEX IF NOT EXISTS transactions_hash_idx ON transactions (hash);
CREATE INDEX IF NOT EXISTS transactions_from_idx ON transactions (from_addr);
CREATE INDEX IF NOT EXISTS transactions_to_idx ON transactions (to_addr);
-- Version 3 (bench/mainnet): a contract's logs over a range of heights,
-- where an event filter (topic0) filters that range scan; a block's
-- transactions and logs by number (heights arrive in ascending order, so
-- these two grow at their right edge and cost little to keep).
DROP INDEX IF EXISTS logs_address_topic0_idx;
CREATE INDEX IF NOT EXISTS logs_address_number_idx ON logs (address, block_number);
CREATE INDEX IF NOT EXISTS logs_number_idx ON logs (chain_id, block_number);
CREATE INDEX IF NOT EXISTS transactions_number_idx ON transactions (chain_id, block_number);
CREATE INDEX IF NOT EXISTS canonical_hash_idx ON canonical (chain_id, hash);
-- Tombstones are few and short-lived; the watermark looks for them.
CREATE INDEX IF NOT EXISTS canonical_tombstone_idx ON canonical (chain_id, number)
	WHERE hash IS NULL;

-- Views: only what the canonical pointers name. Orphans never show.
CREATE OR REPLACE VIEW canonical_blocks AS
	SELECT b.* FROM canonical c
	JOIN blocks b ON b.chain_id = c.chain_id AND b.hash = c.hash;

CREATE OR REPLACE VIEW canonical_transactions AS
	SELECT t.* FROM canonical c
	JOIN transactions t ON t.chain_id = c.chain_id AND t.block_hash = c.hash;

CREATE OR REPLACE VIEW canonical_logs AS
	SELECT l.* FROM canonical c
	JOIN logs l ON l.chain_id = c.chain_id AND l.block_hash = c.hash;

-- Watermarks the writers computed, per chain and start block: hints that
-- keep the watermark and the resume height from walking the whole chain.
-- A height that was once a watermark stays a valid hint: canonical rows
-- are never deleted and every pointer is written with its block, so below
-- it a height can only lose its block to a tombstone, which the
-- tombstone index finds.
CREATE TABLE IF NOT EXISTS watermarks (
	chain_id   bigint NOT NULL,
	start      bigint NOT NULL,
	height     bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (chain_id, start)
);

-- The first height >= p_start without a canonical (non-null) hash whose
-- block row exists, by walking the canonical index from p_start: its cost
-- is the number of heights walked. blockpipe_resume_height() below walks
-- only from the best watermark known. Version 4: OFFSET 0 keeps the block
-- check one index lookup a height (a sub-plan); as a semi-join, on tables
-- not analyzed yet (as in a backfill), the planner hashed every block of
-- the chain at each writer's commit.
CREATE OR REPLACE FUNCTION blockpipe_resume_scan(p_chain bigint, p_start bigint)
RETURNS bigint LANGUAGE sql STABLE SET jit = off AS $$
	SELECT CASE
	WHEN NOT EXISTS (
		SELECT 1 FROM canonical c
		JOIN blocks b ON b.chain_id = c.chain_id AND b.hash = c.hash
		WHERE c.chain_id = p_chain AND c.number = p_start)
	THEN p_start
	ELSE (
		SELECT o.number + 1 FROM (
			SELECT c.number, lead(c.number) OVER (ORDER BY c.number) AS nxt
			FROM canonical c
			WHERE c.chain_id = p_chain AND c.number >= p_start
			  AND c.hash IS NOT NULL
			  AND EXISTS (SELECT 1 FROM blocks b
				      WHERE b.chain_id = c.chain_id AND b.hash = c.hash
				      OFFSET 0)
		) o
		WHERE o.nxt IS DISTINCT FROM o.number + 1
		ORDER BY o.number LIMIT 1)
	END
$$;

-- Heights in [from_h, to_h] without a canonical block (tombstones, holes,
-- pointers to a missing block row). Kept for tools; the verifier's audit
-- asks blockpipe_audit, which also checks the links.
CREATE OR REPLACE FUNCTION blockpipe_missing_heights(p_chain bigint, from_h bigint, to_h bigint)
RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
	SELECT g FROM generate_series(from_h, to_h) AS g
	WHERE NOT EXISTS (
		SELECT 1 FROM canonical c
		JOIN blocks b ON b.chain_id = c.chain_id AND b.hash = c.hash
		WHERE c.chain_id = p_chain AND c.number = g)
	ORDER BY g
$$;

-- The verifier's audit of [p_from, p_to] (docs/verifier.md): every height
-- whose canonical block is missing (no row, a tombstone, a pointer to a
-- block row that is not there) or whose block's parent_hash is not the
-- canonical hash one height below (checked above p_start, where the
-- height below has a canonical hash). One range scan of the canonical
-- index and a block lookup a height: the cost grows with the range asked,
-- never with the chain (bench/audit). Holes (heights without a row) are
-- made from the gaps between the rows found. jit off: the planner's row
-- estimates for the holes would have it compile the query each call,
-- which costs more than the query.
CREATE OR REPLACE FUNCTION blockpipe_audit(p_chain bigint, p_start bigint,
					   p_from bigint, p_to bigint)
RETURNS TABLE (number bigint, hash bytea, problem text)
LANGUAGE sql STABLE SET jit = off AS $$
	WITH r AS (
		SELECT c.number, c.hash, b.hash IS NOT NULL AS have,
		       b.parent_hash, lag(c.number) OVER w AS below_n,
		       lag(c.hash) OVER w AS below_h
		FROM canonical c
		LEFT JOIN blocks b ON b.chain_id = c.chain_id AND b.hash = c.hash
		WHERE c.chain_id = p_chain
		  AND c.number BETWEEN greatest(p_from, p_start) - 1 AND p_to
		WINDOW w AS (ORDER BY c.number)
	), lo AS (
		SELECT greatest(p_from, p_start) AS lo, max(r.number) AS last FROM r
	)
	SELECT r.number, r.hash,
	       CASE WHEN r.have THEN 'link' ELSE 'missing' END
	FROM r, lo
	WHERE r.number >= lo.lo
	  AND (NOT r.have OR (r.number > p_start AND r.below_n = r.number - 1
			      AND r.below_h IS NOT NULL
			      AND r.parent_hash <> r.below_h))
	UNION ALL
	SELECT g, NULL, 'missing'
	FROM r, lo, generate_series(greatest(coalesce(r.below_n + 1, lo.lo),
					     lo.lo), r.number - 1) AS g
	WHERE r.number >= lo.lo
	UNION ALL
	SELECT g, NULL, 'missing'
	FROM lo, generate_series(greatest(coalesce(lo.last + 1, lo.lo), lo.lo),
				 p_to) AS g
	ORDER BY 1
$$;

-- 0x-hex text to bytea; NULL or '' stays NULL.
CREATE OR REPLACE FUNCTION blockpipe_hex(p text)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p IS NULL OR p = '' THEN NULL
	       ELSE decode(substr(p, 3), 'hex') END
$$;

-- A reorg (or a repair) recorded by the verifier before it emits it: the
-- `reorgs` row and the tombstones of [p_from, p_to] with its seq, exactly
-- what a writer applies for the reorg message (so applying both, in any
-- order, any number of times, gives the same rows). SECURITY DEFINER: a
-- verifier role needs EXECUTE on this function only, no write on the
-- tables (docs/operations.md, roles); PUBLIC may not call it.
CREATE OR REPLACE FUNCTION blockpipe_record_reorg(
	p_chain bigint, p_seq bigint, p_anc_n bigint, p_anc_h text,
	p_old_tip bigint, p_old_tip_h text, p_new_n bigint, p_new_h text,
	p_depth bigint, p_orphaned jsonb, p_from bigint, p_to bigint,
	p_deep boolean, p_below_finalized boolean, p_repair boolean,
	p_at_ms bigint)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
	INSERT INTO reorgs (chain_id, seq, ancestor_number, ancestor_hash,
			    old_tip, old_tip_hash, new_tip_number, new_tip_hash,
			    depth, orphaned, invalidate_from, invalidate_to,
			    deep, below_finalized, repair, at, unsent)
	VALUES (p_chain, p_seq, p_anc_n, blockpipe_hex(p_anc_h), p_old_tip,
		blockpipe_hex(p_old_tip_h), p_new_n, blockpipe_hex(p_new_h),
		p_depth, p_orphaned, p_from, p_to, p_deep, p_below_finalized,
		p_repair, to_timestamp(p_at_ms / 1000)
			  + (p_at_ms % 1000) * interval '1 millisecond',
		NOT p_repair)
	ON CONFLICT DO NOTHING;
	INSERT INTO canonical AS c (chain_id, number, hash, seq)
	SELECT p_chain, g, NULL, p_seq FROM generate_series(p_from, p_to) AS g
	ORDER BY g
	ON CONFLICT (chain_id, number) DO UPDATE
	SET hash = NULL, seq = excluded.seq WHERE c.seq < excluded.seq;
$$;
REVOKE ALL ON FUNCTION blockpipe_record_reorg(bigint, bigint, bigint, text,
	bigint, text, bigint, text, bigint, jsonb, bigint, bigint, boolean,
	boolean, boolean, bigint) FROM PUBLIC;

-- Version 6: the verifier has sent the reorg message of seq p_seq (to
-- its output and its PUB socket): it is no longer sent again at start.
-- SECURITY DEFINER, like blockpipe_record_reorg.
CREATE OR REPLACE FUNCTION blockpipe_reorg_sent(p_chain bigint, p_seq bigint)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
	UPDATE reorgs SET unsent = false
	WHERE chain_id = p_chain AND seq = p_seq AND unsent
$$;
REVOKE ALL ON FUNCTION blockpipe_reorg_sent(bigint, bigint) FROM PUBLIC;

-- Increment and return the verifier's epoch for a chain (1 the first time).
CREATE OR REPLACE FUNCTION blockpipe_next_epoch(p_chain bigint)
RETURNS bigint LANGUAGE sql VOLATILE AS $$
	INSERT INTO verifier_epochs AS v (chain_id, epoch) VALUES (p_chain, 1)
	ON CONFLICT (chain_id) DO UPDATE
	SET epoch = v.epoch + 1, updated_at = now()
	RETURNING epoch
$$;

-- The committed watermark from a watermark known before (p_hint, or
-- NULL): the highest h such that every height from p_start to h has a
-- canonical block; p_start - 1 when p_start has none. Below the hint only
-- a tombstone can have taken a block: the first one (the tombstone index)
-- ends the watermark below it; without one the walk goes on from the
-- hint.
CREATE OR REPLACE FUNCTION blockpipe_watermark(p_chain bigint, p_start bigint, p_hint bigint)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
	t bigint;
BEGIN
	IF p_hint IS NULL OR p_hint < p_start THEN
		RETURN blockpipe_resume_scan(p_chain, p_start) - 1;
	END IF;
	SELECT min(number) INTO t FROM canonical
	WHERE chain_id = p_chain AND number BETWEEN p_start AND p_hint
	  AND hash IS NULL;
	IF t IS NOT NULL THEN
		RETURN t - 1;
	END IF;
	RETURN blockpipe_resume_scan(p_chain, p_hint + 1) - 1;
END
$$;

-- The best hint the watermarks table holds for (p_chain, p_start): a
-- watermark of a start at or below p_start that reaches p_start.
CREATE OR REPLACE FUNCTION blockpipe_watermark_hint(p_chain bigint, p_start bigint)
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT max(height) FROM watermarks
	WHERE chain_id = p_chain AND start <= p_start AND height >= p_start
$$;

-- The first height >= p_start without a canonical (non-null) hash whose
-- block row exists: where a fetcher or verifier resumes.
CREATE OR REPLACE FUNCTION blockpipe_resume_height(p_chain bigint, p_start bigint)
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT blockpipe_watermark(p_chain, p_start,
				   blockpipe_watermark_hint(p_chain, p_start)) + 1
$$;

-- The committed watermark (docs/schema.md).
CREATE OR REPLACE FUNCTION blockpipe_watermark(p_chain bigint, p_start bigint)
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT blockpipe_resume_height(p_chain, p_start) - 1
$$;

-- The writer's, after a commit: the watermark from its hint or the
-- table's, remembered in the table when it went up.
CREATE OR REPLACE FUNCTION blockpipe_advance_watermark(p_chain bigint, p_start bigint, p_hint bigint)
RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	w bigint := blockpipe_watermark(p_chain, p_start,
		greatest(p_hint, blockpipe_watermark_hint(p_chain, p_start)));
BEGIN
	IF w >= p_start THEN
		INSERT INTO watermarks AS m (chain_id, start, height)
		VALUES (p_chain, p_start, w)
		ON CONFLICT (chain_id, start) DO UPDATE
		SET height = excluded.height, updated_at = now()
		WHERE m.height < excluded.height;
	END IF;
	RETURN w;
END
$$;

-- Version 5: resume from the database (the broadcaster's --db; docs/
-- broadcaster.md "Resume from the database"). A client that had every
-- message up to seq S is sent what came after S in seq order, the order
-- it went out live: the canonical rows by seq (this index), the reorgs
-- by seq (their primary key), and for each reorg the orphaned blocks it
-- held, which it can tell only from the seq that had made each of them
-- canonical: canonical_replaced keeps it when a pointer is replaced.
CREATE INDEX IF NOT EXISTS canonical_seq_idx ON canonical (chain_id, seq);

CREATE TABLE IF NOT EXISTS canonical_replaced (
	chain_id     bigint NOT NULL,
	number       bigint NOT NULL,
	hash         bytea NOT NULL,  -- the block that was canonical
	seq          bigint NOT NULL, -- the seq that had made it canonical
	replaced_seq bigint NOT NULL, -- the seq of the tombstone or block
				      -- that replaced it
	PRIMARY KEY (chain_id, hash, seq)
);

-- Fired only for the rare update that replaces a block's pointer (a
-- reorg's tombstone, a repair); inserts and seq bumps of the same hash
-- do not fire it. SECURITY DEFINER: a writer's role needs no right on
-- canonical_replaced.
CREATE OR REPLACE FUNCTION blockpipe_note_replaced() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
	INSERT INTO canonical_replaced (chain_id, number, hash, seq, replaced_seq)
	VALUES (OLD.chain_id, OLD.number, OLD.hash, OLD.seq, NEW.seq)
	ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER canonical_replaced_trg AFTER UPDATE ON canonical
FOR EACH ROW WHEN (OLD.hash IS NOT NULL AND NEW.hash IS DISTINCT FROM OLD.hash)
EXECUTE FUNCTION blockpipe_note_replaced();

-- JSON-RPC quantities and data as the node writes them.
CREATE OR REPLACE FUNCTION blockpipe_0x(p bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT '0x' || encode(p, 'hex') $$;

CREATE OR REPLACE FUNCTION blockpipe_hexint(p bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT '0x' || to_hex(p) $$;

CREATE OR REPLACE FUNCTION blockpipe_hexnum(p numeric) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	n numeric := p;
	s text := '';
BEGIN
	IF n = 0 THEN
		RETURN '0x0';
	END IF;
	WHILE n > 0 LOOP
		s := lpad(to_hex(mod(n, 4294967296)::bigint), 8, '0') || s;
		n := div(n, 4294967296);
	END LOOP;
	RETURN '0x' || ltrim(s, '0');
END
$$;

-- A stored block as the node's eth_getBlockByNumber(n, true) object, with
-- what the tables keep of it (transactions: hash, from, to, value and
-- their index); NULL columns are left out.
CREATE OR REPLACE FUNCTION blockpipe_block_json(p_chain bigint, p_hash bytea)
RETURNS text LANGUAGE sql STABLE AS $$
	SELECT json_strip_nulls(json_build_object(
		'number', blockpipe_hexint(b.number),
		'hash', blockpipe_0x(b.hash),
		'parentHash', blockpipe_0x(b.parent_hash),
		'sha3Uncles', blockpipe_0x(b.sha3_uncles),
		'miner', blockpipe_0x(b.miner),
		'stateRoot', blockpipe_0x(b.state_root),
		'transactionsRoot', blockpipe_0x(b.transactions_root),
		'receiptsRoot', blockpipe_0x(b.receipts_root),
		'logsBloom', blockpipe_0x(b.logs_bloom),
		'difficulty', blockpipe_hexnum(b.difficulty),
		'gasLimit', blockpipe_hexint(b.gas_limit),
		'gasUsed', blockpipe_hexint(b.gas_used),
		'timestamp', blockpipe_hexint(extract(epoch FROM b.timestamp)::bigint),
		'extraData', blockpipe_0x(b.extra_data),
		'mixHash', blockpipe_0x(b.mix_hash),
		'nonce', blockpipe_0x(b.nonce),
		'baseFeePerGas', blockpipe_hexnum(b.base_fee),
		'size', blockpipe_hexint(b.size),
		'withdrawalsRoot', blockpipe_0x(b.withdrawals_root),
		'blobGasUsed', blockpipe_hexint(b.blob_gas_used),
		'excessBlobGas', blockpipe_hexint(b.excess_blob_gas),
		'parentBeaconBlockRoot', blockpipe_0x(b.parent_beacon_block_root),
		'transactions', coalesce((
			SELECT json_agg(json_build_object(
				'hash', blockpipe_0x(t.hash),
				'from', blockpipe_0x(t.from_addr),
				'to', blockpipe_0x(t.to_addr),
				'value', blockpipe_hexnum(t.value),
				'transactionIndex', blockpipe_hexint(t.tx_index))
				ORDER BY t.tx_index)
			FROM transactions t
			WHERE t.chain_id = b.chain_id AND t.block_hash = b.hash),
			'[]'::json)))::text
	FROM blocks b WHERE b.chain_id = p_chain AND b.hash = p_hash
$$;

-- A stored block's logs as one receipt's `logs` ([{"logs":[...]}]), each
-- the node's log object without `removed`, in log index order.
CREATE OR REPLACE FUNCTION blockpipe_receipts_json(p_chain bigint, p_hash bytea)
RETURNS text LANGUAGE sql STABLE AS $$
	SELECT json_build_array(json_build_object('logs', coalesce(json_agg(
		json_build_object(
			'address', blockpipe_0x(l.address),
			'topics', (SELECT coalesce(json_agg(blockpipe_0x(t.v)
						   ORDER BY t.i), '[]'::json)
				   FROM unnest(ARRAY[l.topic0, l.topic1, l.topic2,
						     l.topic3]) WITH ORDINALITY
					AS t(v, i) WHERE t.v IS NOT NULL),
			'data', blockpipe_0x(l.data),
			'blockNumber', blockpipe_hexint(l.block_number),
			'transactionHash', blockpipe_0x(l.tx_hash),
			'transactionIndex', blockpipe_hexint(l.tx_index),
			'blockHash', blockpipe_0x(l.block_hash),
			'logIndex', blockpipe_hexint(l.log_index))
		ORDER BY l.log_index), '[]'::json)))::text
	FROM logs l WHERE l.chain_id = p_chain AND l.block_hash = p_hash
$$;

-- The canonical blocks a client that had every message up to seq p_after
-- lacks, in seq order, below seq p_before (NULL: no bound), p_limit at
-- most: seq, number, hash, parent hash, the block and its receipts.
CREATE OR REPLACE FUNCTION blockpipe_replay_blocks(p_chain bigint,
	p_after bigint, p_before bigint, p_limit integer)
RETURNS TABLE (seq bigint, number bigint, hash text, parent_hash text,
	       block text, receipts text)
LANGUAGE sql STABLE AS $$
	SELECT c.seq, c.number, blockpipe_0x(c.hash), blockpipe_0x(b.parent_hash),
	       blockpipe_block_json(c.chain_id, c.hash),
	       blockpipe_receipts_json(c.chain_id, c.hash)
	FROM canonical c
	JOIN blocks b ON b.chain_id = c.chain_id AND b.hash = c.hash
	WHERE c.chain_id = p_chain AND c.seq > p_after
	  AND c.seq < coalesce(p_before, 9223372036854775807)
	  AND c.hash IS NOT NULL
	ORDER BY c.seq LIMIT p_limit
$$;

-- The reorgs recorded after p_after and below p_before (NULL: no bound),
-- the audit's repairs left out (no message went out for them), each as
-- the verifier's reorg message.
CREATE OR REPLACE FUNCTION blockpipe_replay_reorgs(p_chain bigint,
	p_after bigint, p_before bigint, p_limit integer)
RETURNS TABLE (seq bigint, message text)
LANGUAGE sql STABLE AS $$
	SELECT r.seq, json_build_object('type', 'reorg',
		'chain_id', r.chain_id, 'seq', r.seq,
		'ancestor', CASE WHEN r.ancestor_number IS NULL THEN NULL
			ELSE json_build_object('number', r.ancestor_number,
				'hash', blockpipe_0x(r.ancestor_hash)) END,
		'orphaned', r.orphaned,
		'new_tip', CASE WHEN r.new_tip_number IS NULL THEN NULL
			ELSE json_build_object('number', r.new_tip_number,
				'hash', blockpipe_0x(r.new_tip_hash)) END,
		'depth', r.depth, 'deep', r.deep,
		'invalidate_from', r.invalidate_from,
		'invalidate_to', r.invalidate_to,
		'below_finalized', r.below_finalized)::text
	FROM reorgs r
	WHERE r.chain_id = p_chain AND r.seq > p_after
	  AND r.seq < coalesce(p_before, 9223372036854775807) AND NOT r.repair
	ORDER BY r.seq LIMIT p_limit
$$;

-- Version 6: the reorgs the verifier recorded and has not confirmed it
-- sent, in seq order, p_limit at most, each as the message it sends
-- (the replay's form); SECURITY DEFINER: the verifier reads no table of
-- reorgs itself.
CREATE OR REPLACE FUNCTION blockpipe_unsent_reorgs(p_chain bigint,
	p_limit integer)
RETURNS TABLE (seq bigint, message text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
	SELECT m.seq, m.message
	FROM reorgs r
	CROSS JOIN LATERAL blockpipe_replay_reorgs(r.chain_id, r.seq - 1,
						   r.seq + 1, 1) AS m
	WHERE r.chain_id = p_chain AND r.unsent
	ORDER BY r.seq LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION blockpipe_unsent_reorgs(bigint, integer) FROM PUBLIC;

-- The orphaned blocks of reorg p_reorg that a client which had every
-- message up to seq p_had held: those canonical_replaced says were made
-- canonical at a seq <= p_had, and those it knows nothing of (their
-- pointer never reached the database before the tombstone: taken as
-- held); ascending, with the block and its receipts. An orphan whose
-- rows were cleaned up is not listed.
CREATE OR REPLACE FUNCTION blockpipe_replay_orphans(p_chain bigint,
	p_reorg bigint, p_had bigint)
RETURNS TABLE (number bigint, hash text, parent_hash text, block text,
	       receipts text)
LANGUAGE sql STABLE AS $$
	SELECT b.number, blockpipe_0x(b.hash), blockpipe_0x(b.parent_hash),
	       blockpipe_block_json(b.chain_id, b.hash),
	       blockpipe_receipts_json(b.chain_id, b.hash)
	FROM reorgs r
	CROSS JOIN LATERAL jsonb_array_elements(r.orphaned) AS o(v)
	JOIN blocks b ON b.chain_id = r.chain_id
		     AND b.hash = blockpipe_hex(o.v->>'hash')
	WHERE r.chain_id = p_chain AND r.seq = p_reorg
	  AND (EXISTS (SELECT 1 FROM canonical_replaced x
		       WHERE x.chain_id = r.chain_id AND x.hash = b.hash
			 AND x.seq <= p_had)
	       OR NOT EXISTS (SELECT 1 FROM canonical_replaced x
			      WHERE x.chain_id = r.chain_id AND x.hash = b.hash))
	ORDER BY b.number
$$;

CREATE INDEX IF NOT EXISTS canonical_replaced_number_idx
	ON canonical_replaced (chain_id, number);

-- Where a client that has every height below p_height resumes, as a seq:
-- one less than the smallest seq that ever made a block canonical at
-- p_height or above (the canonical rows, and the replaced ones: a
-- reorg that orphaned such a block and the blocks below it is news to
-- the client); the highest seq when there are none (it has everything).
CREATE OR REPLACE FUNCTION blockpipe_seq_since_height(p_chain bigint,
	p_height bigint)
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT coalesce(
		(SELECT min(s) - 1 FROM (
			SELECT min(c.seq) AS s FROM canonical c
			WHERE c.chain_id = p_chain AND c.number >= p_height
			UNION ALL
			SELECT min(x.seq) FROM canonical_replaced x
			WHERE x.chain_id = p_chain AND x.number >= p_height) m),
		(SELECT max(c.seq) FROM canonical c WHERE c.chain_id = p_chain),
		0)
$$;
