# blockpipe: four programs, one shared library, plain make.
#
#   make            build bin/fetcher bin/verifier bin/writer bin/broadcaster
#                   bin/tap and the test tools (the default goal is all)
#   make test       install what is missing, build, run every test
#   make asan       the same suite built with AddressSanitizer + UBSan
#   make run        start the embedded default (devnet, PostgreSQL, pipeline)
#   make install PREFIX=/usr/local
#   make clean

# The generated per-program rules below come before all:, so name the
# default goal here: a plain make builds every program.
.DEFAULT_GOAL := all

PREFIX ?= /usr/local
VERSION := 0.1.0

CC ?= cc
PKGS := libcurl yajl libpq libzmq libwebsockets libmicrohttpd nettle libsecp256k1 libsystemd
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wwrite-strings -fno-common
OPT ?= -O2 -g
SAN ?=
BUILD ?= build
BINDIR ?= bin

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

CFLAGS += -std=c11 -D_GNU_SOURCE -DBLOCKPIPE_VERSION='"$(VERSION)"' \
	$(WARN) $(OPT) $(SAN) -MMD -MP -Icommon $(PKG_CFLAGS)
LDFLAGS += $(SAN)
# libev (no pkg-config file): the loop the broadcaster runs lws on; linked
# only where used.
LDLIBS += $(PKG_LIBS) -Wl,--push-state,--as-needed -lev -Wl,--pop-state \
	-lpthread -lm

PROGS := fetcher verifier writer broadcaster tap decoder
COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o) $(BUILD)/common/schema_sql.o
LIBCOMMON := $(BUILD)/libcommon.a

# Each program: every .c in its folder; main.c is left out of the
# program's library so unit tests can link the modules.
define prog_rules
$(1)_SRC := $$(wildcard $(1)/*.c)
$(1)_OBJ := $$($(1)_SRC:%.c=$(BUILD)/%.o)
$(1)_LIBOBJ := $$(filter-out $(BUILD)/$(1)/main.o,$$($(1)_OBJ))
# Archives are made anew: ar rcs on an old one keeps the members of files
# since deleted or renamed, whose stale symbols the linker may then take.
$(BUILD)/lib$(1).a: $$($(1)_LIBOBJ)
	@mkdir -p $$(@D)
	@rm -f $$@ && $$(AR) rcs $$@ $$^
$(BINDIR)/$(1): $(BUILD)/$(1)/main.o $(BUILD)/lib$(1).a $(LIBCOMMON)
	@mkdir -p $$(@D)
	@echo "  LINK    $$@"
	@$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rules,$(p))))

# tests/unit/check_<module>.c sees common/ and, when the module belongs
# to a program (no common/<module>.c, a <program>/<module>.c), that
# program's folder, and links libcommon plus that program's library only:
# a test of one program cannot reach into another.
UNIT_SRC := $(wildcard tests/unit/check_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
unit_prog = $(if $(wildcard common/$(1).c),,$(firstword $(foreach p,$(PROGS),$(if $(wildcard $(p)/$(1).c),$(p)))))
define unit_rules
$(BUILD)/tests/check_$(1).o: tests/unit/check_$(1).c
	@mkdir -p $$(@D)
	@echo "  CC      $$<"
	@$$(CC) $$(CFLAGS) $$(CHECK_CFLAGS) $(if $(2),-I$(2)) \
		-DBLOCKPIPE_SRCDIR='"$$(CURDIR)"' -c -o $$@ $$<
$(BUILD)/tests/check_$(1): $(BUILD)/tests/check_$(1).o $(if $(2),$(BUILD)/lib$(2).a) $(LIBCOMMON)
	@echo "  LINK    $$@"
	@$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(CHECK_LIBS) $$(LDLIBS)
endef
$(foreach u,$(UNIT_SRC:tests/unit/check_%.c=%),$(eval $(call unit_rules,$(u),$(call unit_prog,$(u)))))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BINDIR)/%)
# tests/tools/preload/: LD_PRELOAD shims the tests put into a program
# (bin/NAME.so), built without the sanitizers: a test that preloads one
# into an ASan build sets verify_asan_link_order=0.
PRELOAD_SRC := $(wildcard tests/tools/preload/*.c)
PRELOAD_SO := $(PRELOAD_SRC:tests/tools/preload/%.c=$(BINDIR)/%.so)

# What a program links: for tests and benches that build against
# libcommon.a themselves.
print-ldlibs:
	@echo $(LDLIBS)

.PHONY: print-ldlibs all test unit integration asan run stop install clean deps style bench build-asan-units
all: $(PROGS:%=$(BINDIR)/%) $(TOOL_BIN) $(PRELOAD_SO)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

# common/schema.sql compiled into libcommon as db_schema_sql (common/db.h),
# with od and sed so that xxd is not needed.
$(BUILD)/common/schema_sql.c: common/schema.sql
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	@{ echo '/* generated from common/schema.sql by make: do not edit */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const char db_schema_sql[];'; \
	  echo 'extern const size_t db_schema_sql_len;'; \
	  echo 'const char db_schema_sql[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; \
	  echo 'const size_t db_schema_sql_len = sizeof(db_schema_sql) - 1;'; \
	} > $@.tmp && mv $@.tmp $@

$(BUILD)/common/schema_sql.o: $(BUILD)/common/schema_sql.c
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

# The dashboard (broadcaster/page/: plain HTML, JavaScript and CSS, no
# build step of their own) compiled into the broadcaster as bc_page_html,
# bc_page_js and bc_page_css (broadcaster/server.h), with od and sed as
# the schema is.
BC_PAGE := broadcaster/page/index.html broadcaster/page/live.js broadcaster/page/live.css
$(BUILD)/broadcaster/page_assets.c: $(BC_PAGE)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	@{ echo '/* generated from broadcaster/page/ by make: do not edit */'; \
	  echo '#include <stddef.h>'; \
	  for f in html:index.html js:live.js css:live.css; do \
	    n=$${f%%:*}; \
	    echo "extern const char bc_page_$$n[];"; \
	    echo "extern const size_t bc_page_$${n}_len;"; \
	    echo "const char bc_page_$$n[] = {"; \
	    od -An -v -tx1 "broadcaster/page/$${f#*:}" | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	    echo '0x00 };'; \
	    echo "const size_t bc_page_$${n}_len = sizeof(bc_page_$$n) - 1;"; \
	  done; } > $@.tmp && mv $@.tmp $@

$(BUILD)/broadcaster/page_assets.o: $(BUILD)/broadcaster/page_assets.c
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libbroadcaster.a: $(BUILD)/broadcaster/page_assets.o

$(LIBCOMMON): $(COMMON_OBJ)
	@mkdir -p $(@D)
	@rm -f $@ && $(AR) rcs $@ $^

$(BINDIR)/%: $(BUILD)/tests/tools/%.o $(LIBCOMMON)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BINDIR)/%.so: tests/tools/preload/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -fPIC -shared -o $@ $< -ldl

$(BUILD)/tests/tools/%.o: tests/tools/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

# tests/tools/lib/: modules of the test tools, linked into those that use
# them (not tools themselves).
TOOL_LIB := $(BUILD)/tests/tools/lib
$(BINDIR)/faultproxy: $(TOOL_LIB)/bodyfault.o $(TOOL_LIB)/bodyfault_test.o \
	$(TOOL_LIB)/bodylies.o $(TOOL_LIB)/httpmini.o $(TOOL_LIB)/namebits.o \
	$(TOOL_LIB)/proxy_control.o $(TOOL_LIB)/proxy_mangle.o $(TOOL_LIB)/rpcspans.o \
	$(TOOL_LIB)/textedit.o
$(BINDIR)/replaynode: $(TOOL_LIB)/httpmini.o
# check_rpc's fake node (tests/unit/rpc_fake_node.h) is a test server too
$(BUILD)/tests/check_rpc: $(TOOL_LIB)/httpmini.o

deps:
	@scripts/deps

# make test: install, build, unit tests, then integration tests against a
# real anvil and a real PostgreSQL.
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@$(MAKE) --no-print-directory unit integration

unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

integration: all
	@tests/run-integration $(T)

ASAN_VARS = BUILD=build-asan BINDIR=bin-asan OPT="-O1 -g" \
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

asan:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(ASAN_VARS) all build-asan-units
	@BLOCKPIPE_BIN=$(CURDIR)/bin-asan \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MAKE) --no-print-directory $(ASAN_VARS) unit integration

build-asan-units: $(UNIT_BIN)

run: deps all
	@scripts/run

stop:
	@scripts/run stop

bench: all
	@bench/run

# libFuzzer targets of tests/fuzz/ (clang), FUZZ_SECONDS a target after
# the reproducers of tests/fuzz/regress/ are replayed.
FUZZ_SECONDS ?= 20
.PHONY: fuzz
fuzz:
	@tests/fuzz/run $(FUZZ_SECONDS)

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs, the schema,
# the docs, the systemd units (ExecStart= and Documentation= name the
# installed paths, so DESTDIR is left out of them), example environment
# files and the Prometheus rules. Nothing is written to /etc and nothing
# is enabled: docs/operations.md, "systemd".
bindir ?= $(PREFIX)/bin
datadir ?= $(PREFIX)/share/blockpipe
docdir ?= $(PREFIX)/share/doc/blockpipe
systemdunitdir ?= $(PREFIX)/lib/systemd/system
UNIT_IN := $(wildcard scripts/systemd/*.in)

install: all
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(datadir) $(DESTDIR)$(docdir) \
		$(DESTDIR)$(systemdunitdir) $(DESTDIR)$(datadir)/systemd \
		$(DESTDIR)$(datadir)/prometheus
	install -m 755 $(PROGS:%=$(BINDIR)/%) $(DESTDIR)$(bindir)/
	install -m 644 common/schema.sql $(DESTDIR)$(datadir)/
	install -m 644 docs/*.md $(DESTDIR)$(docdir)/
	for u in $(UNIT_IN:scripts/systemd/%.in=%); do \
		sed -e 's|@BINDIR@|$(bindir)|g' -e 's|@DOCDIR@|$(docdir)|g' \
			scripts/systemd/$$u.in >$(DESTDIR)$(systemdunitdir)/$$u.tmp && \
		chmod 644 $(DESTDIR)$(systemdunitdir)/$$u.tmp && \
		mv $(DESTDIR)$(systemdunitdir)/$$u.tmp $(DESTDIR)$(systemdunitdir)/$$u || exit 1; \
	done
	install -m 644 scripts/systemd/examples/*.env $(DESTDIR)$(datadir)/systemd/
	install -m 644 scripts/prometheus/*.yml $(DESTDIR)$(datadir)/prometheus/

style:
	clang-format -i common/*.[ch] $(foreach p,$(PROGS),$(wildcard $(p)/*.[ch])) tests/unit/*.c

clean:
	rm -rf build build-asan bin bin-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
