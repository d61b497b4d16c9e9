/* The decoder's table file (tables.h, docs/decoding.md). */
#include "tables.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "banned.h"

#define CONFIG_FILE_MAX ((size_t)4 << 20)

/* The columns every decoded table has, before the event's. */
static const char *const fixed_cols[] = {
	"chain_id", "block_hash", "log_index", "block_number",
	"tx_hash", "tx_index", "address", NULL,
};

struct ctx {
	char *why;
	size_t whylen;
	size_t ti; /* the table being read */
};

__attribute__((format(printf, 2, 3))) static int bad(struct ctx *c,
						      const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->why, c->whylen, "tables[%zu]: %s", c->ti, msg);
	return -1;
}

/* The string of a value already checked to be one. */
#define S(v) ((v)->u.string)

static yajl_val get(yajl_val o, const char *key)
{
	const char *path[] = { key, NULL };

	return yajl_tree_get(o, path, yajl_t_any);
}

/* A lowercase SQL identifier: [a-z_][a-z0-9_]*, at most max bytes. */
static bool sql_ident(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '_'))
			return false;
	return true;
}

/* "0x" + 2*n hex digits, or fewer digits left-padded with zeros to n
 * bytes (an address as a topic) when pad is set. */
static int hex_bytes(const char *s, uint8_t *out, size_t n, bool pad)
{
	size_t len;

	if (strncmp(s, "0x", 2) && strncmp(s, "0X", 2))
		return -1;
	s += 2;
	len = strlen(s);
	if (len % 2 || len > 2 * n || (!pad && len != 2 * n))
		return -1;
	memset(out, 0, n);
	out += n - len / 2;
	for (size_t i = 0; i < len; i += 2) {
		unsigned v;
		if (!isxdigit((unsigned char)s[i]) ||
		    !isxdigit((unsigned char)s[i + 1]) ||
		    sscanf(s + i, "%2x", &v) != 1)
			return -1;
		*out++ = (uint8_t)v;
	}
	return 0;
}

static struct abi_event *load_event(struct ctx *c, yajl_val t)
{
	yajl_val ev = get(t, "event"), abi = get(t, "abi");
	struct abi_event *e = NULL;
	char why[200];

	if (abi && YAJL_IS_ARRAY(abi)) { /* a whole ABI: pick by name */
		const char *want = ev && YAJL_IS_STRING(ev) ? S(ev) : NULL;
		yajl_val found = NULL;
		if (!want)
			return bad(c, "\"abi\" is an array: name the event in \"event\""), NULL;
		for (size_t i = 0; i < YAJL_GET_ARRAY(abi)->len; i++) {
			yajl_val f = YAJL_GET_ARRAY(abi)->values[i];
			yajl_val ty = get(f, "type"), nm = get(f, "name");
			if (ty && YAJL_IS_STRING(ty) && !strcmp(S(ty), "event") &&
			    nm && YAJL_IS_STRING(nm) && !strcmp(S(nm), want)) {
				if (found)
					return bad(c, "the ABI has two events '%s'", want), NULL;
				found = f;
			}
		}
		if (!found)
			return bad(c, "no event '%s' in the ABI", want), NULL;
		abi = found;
	}
	if (abi && YAJL_IS_OBJECT(abi))
		e = abi_event_from_tree(abi, why, sizeof(why));
	else if (!abi && ev && YAJL_IS_STRING(ev))
		e = abi_event_parse(S(ev), why, sizeof(why));
	else
		return bad(c, "give \"event\" (a signature) or \"abi\" (a fragment)"), NULL;
	if (!e)
		bad(c, "event: %s", why);
	return e;
}

static int load_addresses(struct ctx *c, yajl_val t, struct config_table *tb)
{
	yajl_val a = get(t, "addresses");

	if (!a)
		return 0;
	if (!YAJL_IS_ARRAY(a))
		return bad(c, "\"addresses\" is not an array");
	tb->addrs = calloc(YAJL_GET_ARRAY(a)->len + 1, 20);
	if (!tb->addrs)
		return bad(c, "out of memory");
	for (size_t i = 0; i < YAJL_GET_ARRAY(a)->len; i++) {
		yajl_val v = YAJL_GET_ARRAY(a)->values[i];
		if (!YAJL_IS_STRING(v) ||
		    hex_bytes(S(v), tb->addrs[i], 20, false) < 0)
			return bad(c, "addresses[%zu] is not a 0x address of 20 bytes", i);
		tb->naddrs++;
	}
	return 0;
}

/* "filters": {"from": "0x..", "to": ["0x..", ...]} on indexed value
 * arguments: each value is the topic, left-padded to 32 bytes. */
static int load_filters(struct ctx *c, yajl_val t, struct config_table *tb)
{
	yajl_val f = get(t, "filters");
	const struct abi_event *ev = tb->event;

	if (!f)
		return 0;
	if (!YAJL_IS_OBJECT(f))
		return bad(c, "\"filters\" is not an object");
	for (size_t k = 0; k < YAJL_GET_OBJECT(f)->len; k++) {
		const char *arg = YAJL_GET_OBJECT(f)->keys[k];
		yajl_val v = YAJL_GET_OBJECT(f)->values[k];
		size_t pos = ev->anonymous ? 0 : 1, n, i;
		for (i = 0; i < ev->nparams; i++) {
			if (ev->params[i].indexed && !strcmp(ev->params[i].name, arg))
				break;
			pos += ev->params[i].indexed;
		}
		if (i == ev->nparams)
			return bad(c, "filters: '%s' is not an indexed argument", arg);
		n = YAJL_IS_ARRAY(v) ? YAJL_GET_ARRAY(v)->len : 1;
		if (!(tb->topic[pos] = calloc(n + 1, 32)))
			return bad(c, "out of memory");
		for (size_t j = 0; j < n; j++) {
			yajl_val x = YAJL_IS_ARRAY(v) ? YAJL_GET_ARRAY(v)->values[j] : v;
			if (!YAJL_IS_STRING(x) ||
			    hex_bytes(S(x), tb->topic[pos][j], 32, true) < 0)
				return bad(c, "filters: '%s': values are 0x hex of at most 32 bytes", arg);
		}
		if (n == 0)
			return bad(c, "filters: '%s': an empty list matches nothing", arg);
		tb->ntopic[pos] = n;
	}
	return 0;
}

static int add_column(struct ctx *c, struct config_table *tb, size_t arg,
		      const char *name, const char *type)
{
	const struct abi_param *p = &tb->event->params[arg];
	struct config_column *col = &tb->cols[tb->ncols];

	if (!sql_ident(name, 63))
		return bad(c, "column '%s' is not a lowercase SQL name ([a-z_][a-z0-9_]*); rename it in \"columns\"", name);
	for (size_t i = 0; fixed_cols[i]; i++)
		if (!strcmp(fixed_cols[i], name))
			return bad(c, "column '%s' is one of the log's own columns: rename it in \"columns\"", name);
	for (size_t i = 0; i < tb->ncols; i++)
		if (!strcmp(tb->cols[i].name, name))
			return bad(c, "two columns named '%s'", name);
	col->arg = arg;
	col->col = abi_param_col(p);
	if (tb->strings_as_bytes && col->col == ABI_COL_TEXT)
		col->col = ABI_COL_BYTEA;
	if (type && strcmp(type, abi_col_sql(col->col)))
		return bad(c, "column '%s': type '%s', but the argument's type makes it '%s'",
			   name, type, abi_col_sql(col->col));
	if (!(col->name = strdup(name)))
		return bad(c, "out of memory");
	tb->ncols++;
	return 0;
}

/* The argument named name, or "argN" for the N-th (0-based). */
static int find_arg(const struct abi_event *ev, const char *name, size_t *out)
{
	char alt[32];

	for (size_t i = 0; i < ev->nparams; i++) {
		snprintf(alt, sizeof(alt), "arg%zu", i);
		if ((ev->params[i].name[0] && !strcmp(ev->params[i].name, name)) ||
		    !strcmp(alt, name)) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

static int default_columns(struct ctx *c, struct config_table *tb)
{
	char name[64];

	for (size_t i = 0; i < tb->event->nparams; i++) {
		const char *an = tb->event->params[i].name;
		size_t k = 0;
		if (!an[0])
			snprintf(name, sizeof(name), "arg%zu", i);
		else {
			for (; an[k] && k < sizeof(name) - 1; k++)
				name[k] = (char)tolower((unsigned char)an[k]);
			name[k] = 0;
		}
		if (add_column(c, tb, i, name, NULL) < 0)
			return -1;
	}
	return 0;
}

/* "columns": ["value", {"arg": "from", "name": "sender"}, ...]: which
 * arguments, in which order, under which names. */
static int load_columns(struct ctx *c, yajl_val t, struct config_table *tb)
{
	yajl_val cols = get(t, "columns");
	size_t n = tb->event->nparams;

	if (cols && !YAJL_IS_ARRAY(cols))
		return bad(c, "\"columns\" is not an array");
	if (cols)
		n = YAJL_GET_ARRAY(cols)->len;
	if (!(tb->cols = calloc(n + 1, sizeof(*tb->cols))))
		return bad(c, "out of memory");
	if (!cols)
		return default_columns(c, tb);
	for (size_t i = 0; i < n; i++) {
		yajl_val e = YAJL_GET_ARRAY(cols)->values[i];
		yajl_val a = YAJL_IS_OBJECT(e) ? get(e, "arg") : e;
		yajl_val nm = YAJL_IS_OBJECT(e) ? get(e, "name") : NULL;
		yajl_val ty = YAJL_IS_OBJECT(e) ? get(e, "type") : NULL;
		size_t arg;
		if (!a || !YAJL_IS_STRING(a) || (nm && !YAJL_IS_STRING(nm)) ||
		    (ty && !YAJL_IS_STRING(ty)))
			return bad(c, "columns[%zu]: an argument name or {\"arg\", \"name\", \"type\"}", i);
		if (find_arg(tb->event, S(a), &arg) < 0)
			return bad(c, "columns[%zu]: the event has no argument '%s'", i,
				   S(a));
		if (add_column(c, tb, arg, S(nm ? nm : a),
			       ty ? S(ty) : NULL) < 0)
			return -1;
	}
	return 0;
}

static int load_table(struct ctx *c, yajl_val t, struct config_table *tb,
		      const struct config *cfg)
{
	yajl_val name = get(t, "name"), strings = get(t, "strings");

	if (!YAJL_IS_OBJECT(t))
		return bad(c, "not an object");
	if (!name || !YAJL_IS_STRING(name) ||
	    !sql_ident(S(name), CONFIG_NAME_MAX))
		return bad(c, "\"name\": a lowercase SQL name of at most %d bytes",
			   CONFIG_NAME_MAX);
	for (size_t i = 0; i < c->ti; i++)
		if (!strcmp(cfg->tables[i].name, S(name)))
			return bad(c, "a second table named '%s'", S(name));
	if (!(tb->name = strdup(S(name))))
		return bad(c, "out of memory");
	if (strings && (!YAJL_IS_STRING(strings) ||
			(strcmp(S(strings), "reject") &&
			 strcmp(S(strings), "bytes"))))
		return bad(c, "\"strings\": \"reject\" or \"bytes\"");
	tb->strings_as_bytes = strings && !strcmp(S(strings), "bytes");
	if (!(tb->event = load_event(c, t)))
		return -1;
	if (load_addresses(c, t, tb) < 0 || load_filters(c, t, tb) < 0 ||
	    load_columns(c, t, tb) < 0)
		return -1;
	return 0;
}

int tables_parse(const char *text, struct config *cfg, char *why,
		 size_t whylen)
{
	struct ctx c = { why, whylen, 0 };
	char err[256];
	yajl_val root = yajl_tree_parse(text, err, sizeof(err)), tables;

	memset(cfg, 0, sizeof(*cfg));
	if (!root) {
		char *nl = strchr(err, '\n');
		if (nl)
			*nl = 0;
		snprintf(why, whylen, "not JSON: %s", err);
		return -1;
	}
	tables = get(root, "tables");
	if (!tables || !YAJL_IS_ARRAY(tables) || !YAJL_GET_ARRAY(tables)->len ||
	    YAJL_GET_ARRAY(tables)->len > CONFIG_MAX_TABLES) {
		snprintf(why, whylen, "expected {\"tables\": [...]} with 1 to %d tables",
			 CONFIG_MAX_TABLES);
		goto fail;
	}
	cfg->tables = calloc(YAJL_GET_ARRAY(tables)->len, sizeof(*cfg->tables));
	if (!cfg->tables)
		goto fail;
	for (; c.ti < YAJL_GET_ARRAY(tables)->len; c.ti++) {
		cfg->ntables = c.ti + 1;
		if (load_table(&c, YAJL_GET_ARRAY(tables)->values[c.ti],
			       &cfg->tables[c.ti], cfg) < 0)
			goto fail;
	}
	yajl_tree_free(root);
	return 0;
fail:
	yajl_tree_free(root);
	tables_release(cfg);
	return -1;
}

int tables_load(const char *path, struct config *cfg, char *why,
		size_t whylen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL, sub[256];
	size_t n;
	int r = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (!f) {
		snprintf(why, whylen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!(text = malloc(CONFIG_FILE_MAX + 1)))
		goto out;
	n = fread(text, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f) || n > CONFIG_FILE_MAX) {
		snprintf(why, whylen, "cannot read '%s': %s", path,
			 ferror(f) ? strerror(errno) : "larger than 4 MiB");
		goto out;
	}
	text[n] = 0;
	if ((r = tables_parse(text, cfg, sub, sizeof(sub))) < 0)
		snprintf(why, whylen, "'%s': %s", path, sub);
out:
	free(text);
	fclose(f);
	return r;
}

void tables_release(struct config *cfg)
{
	for (size_t i = 0; i < cfg->ntables; i++) {
		struct config_table *t = &cfg->tables[i];
		free(t->name);
		abi_event_free(t->event);
		free(t->addrs);
		for (int k = 0; k < 4; k++)
			free(t->topic[k]);
		for (size_t k = 0; k < t->ncols; k++)
			free(t->cols[k].name);
		free(t->cols);
	}
	free(cfg->tables);
	memset(cfg, 0, sizeof(*cfg));
}
