# fdbroker — one plain GNU Makefile.
#
#   make                 build build/fdbroker and libfdbroker
#   make check           run every test suite (installs missing build deps first, as root)
#   make demo            run the demo service on a privileged port as an unprivileged user
#   make install         install under $(DESTDIR)$(PREFIX); make uninstall removes exactly that
#   make SANITIZE=address,undefined check   the same, built with sanitizers (under build/san/)
#
# Knobs (all optional):
#   CFLAGS     your optimisation/debug flags; the required warning and hardening flags are kept
#              apart in FINAL_CFLAGS, so `make CFLAGS=-O0` cannot drop them
#   WERROR=1   turn warnings into errors (CI sets it)
#   SANITIZE   comma list for -fsanitize= (a build mode, never a runtime switch)
#   PREFIX, DESTDIR, BINDIR, LIBDIR, INCLUDEDIR, MANDIR, DOCDIR, PKGCONFIGDIR, BASHCOMPDIR:
#              install layout

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/fdbroker
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

VERSION     := 0.1.0
SOVERSION   := 1

CC          ?= cc
CFLAGS      ?= -O2 -g
PKG_CONFIG  ?= pkg-config

# Output directory: sanitizer builds live apart so they never mix objects with the normal build.
ifdef SANITIZE
O           := build/san
SAN_FLAGS   := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O           := build
SAN_FLAGS   :=
endif

WARN_FLAGS  := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
               -Wimplicit-fallthrough -Wvla -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN_FLAGS  += -Werror
endif
# _FORTIFY_SOURCE needs optimisation; sanitizer builds use -O1 for readable traces.
HARDEN_CFLAGS := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIC
ifndef SANITIZE
HARDEN_CFLAGS += -D_FORTIFY_SOURCE=3
endif
HARDEN_LDFLAGS := -Wl,-z,relro,-z,now,-z,noexecstack

# Recursively expanded on purpose: pkg-config runs when a recipe needs the flags, i.e. after
# the `deps` step had its chance to install missing -dev packages.
PKG_CFLAGS   = $(shell $(PKG_CONFIG) --cflags libseccomp libcap 2>/dev/null)
PKG_LIBS     = $(shell $(PKG_CONFIG) --libs libseccomp libcap 2>/dev/null || echo -lseccomp -lcap)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check 2>/dev/null || echo -lcheck)

INCLUDES     := -Icommon -Ipolicy -Ibroker -Iworker
FINAL_CFLAGS  = -std=gnu11 $(WARN_FLAGS) $(HARDEN_CFLAGS) $(CFLAGS) $(SAN_FLAGS) $(INCLUDES) \
                -DFDBROKER_VERSION='"$(VERSION)"' $(PKG_CFLAGS) -MMD -MP
FINAL_LDFLAGS = $(HARDEN_LDFLAGS) $(SAN_FLAGS) $(LDFLAGS)

# ---- sources -------------------------------------------------------------------------------
COMMON_SRC  := $(wildcard common/*.c)
POLICY_SRC  := $(wildcard policy/*.c)
# worker/ code that the fdbroker binary runs in the forked child before execve (the lockdown)
SANDBOX_SRC := $(filter-out worker/client.c,$(wildcard worker/*.c))
BROKER_SRC  := $(filter-out broker/main.c,$(wildcard broker/*.c))
CLIENT_SRC  := worker/client.c

CORE_OBJ    := $(patsubst %.c,$(O)/obj/%.o,$(COMMON_SRC) $(POLICY_SRC) $(SANDBOX_SRC) $(BROKER_SRC))
MAIN_OBJ    := $(O)/obj/broker/main.o
# libfdbroker carries only the wire code it needs, built with hidden visibility
CLIENT_OBJ  := $(patsubst %.c,$(O)/obj/lib/%.o,$(CLIENT_SRC) common/proto.c common/fdpass.c common/fdutil.c)

FDBROKER    := $(O)/fdbroker
LIBSO       := $(O)/libfdbroker.so.$(SOVERSION)
LIBA        := $(O)/libfdbroker.a
LIBPC       := $(O)/libfdbroker.pc

TEST_SRC    := $(wildcard tests/check_*.c)
TEST_BIN    := $(patsubst tests/%.c,$(O)/tests/%,$(TEST_SRC))
HELPER_SRC  := $(wildcard tests/helpers/*.c)
HELPER_BIN  := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,$(HELPER_SRC))
TESTLIB_OBJ := $(O)/obj/tests/helpers.o $(O)/obj/tests/e2e.o

MANPAGES    := $(wildcard man/*.[1-8])
# installed under $(DOCDIR)/examples/ with their directories (executables keep mode 0755)
EXAMPLES    := $(sort $(wildcard examples/README examples/*/*))
BASHCOMP    := contrib/bash-completion/fdbroker

.DELETE_ON_ERROR:
# keep test objects between runs (they are intermediates of the pattern rules)
.SECONDARY:
.PHONY: all deps check demo install uninstall clean lint-man bench fuzz fuzz-mutate valgrind

all: $(FDBROKER) $(LIBSO) $(LIBA) $(LIBPC)

# Install missing build dependencies (Debian, as root) or say what is missing.
deps:
	@sh tests/deps.sh

$(O)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(FINAL_CFLAGS) -c -o $@ $<

$(O)/obj/lib/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(FINAL_CFLAGS) -fvisibility=hidden -DFDB_BUILDING_LIB -c -o $@ $<

$(FDBROKER): $(MAIN_OBJ) $(CORE_OBJ)
	$(CC) $(FINAL_CFLAGS) -pie -o $@ $^ $(FINAL_LDFLAGS) $(PKG_LIBS)

$(LIBSO): $(CLIENT_OBJ)
	$(CC) $(FINAL_CFLAGS) -shared -Wl,-soname,libfdbroker.so.$(SOVERSION) -o $@ $^ \
		$(FINAL_LDFLAGS) -lpthread
	ln -sf libfdbroker.so.$(SOVERSION) $(O)/libfdbroker.so

$(LIBA): $(CLIENT_OBJ)
	rm -f $@
	ar rcs $@ $^

$(LIBPC): worker/libfdbroker.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# ---- tests ---------------------------------------------------------------------------------
$(O)/obj/tests/%.o: tests/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(FINAL_CFLAGS) $(CHECK_CFLAGS) -Itests -c -o $@ $<

$(O)/tests/check_%: $(O)/obj/tests/check_%.o $(TESTLIB_OBJ) $(CORE_OBJ) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(FINAL_CFLAGS) -pie -o $@ $^ $(FINAL_LDFLAGS) $(CHECK_LIBS) $(PKG_LIBS) -lpthread

# Helper programs run as workers: they link only libfdbroker (like a real service would).
$(O)/tests/helpers/%: tests/helpers/%.c $(LIBA) | deps
	@mkdir -p $(@D)
	$(CC) $(FINAL_CFLAGS) -Iworker -pie -o $@ $< $(LIBA) $(FINAL_LDFLAGS) -lpthread

check: all $(TEST_BIN) $(HELPER_BIN)
	@sh tests/run.sh $(O)

# Unit suites (no seccomp in the test process itself) under valgrind: memory errors, leaks
# and fds left open at exit (--track-fds). CK_FORK=no keeps each suite in one process.
# check_filter is not here: valgrind does not implement seccomp(2), which libseccomp probes.
VALGRIND_SUITES := check_proto check_fdpass check_fdutil check_log check_policy check_match
valgrind: $(addprefix $(O)/tests/,$(VALGRIND_SUITES))
	@for t in $(VALGRIND_SUITES); do \
		echo "== valgrind $$t"; \
		CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=full \
			--errors-for-leak-kinds=definite --track-fds=yes --child-silent-after-fork=yes \
			$(O)/tests/$$t > $(O)/valgrind-$$t.log 2>&1 || \
			{ cat $(O)/valgrind-$$t.log; exit 1; }; \
		if awk '/Open file descriptor/ {getline nx; if (nx !~ /inherited from parent/) bad=1} \
		     END {exit !bad}' $(O)/valgrind-$$t.log; then \
			echo "$$t left an fd open:"; grep -A4 "Open file descriptor" $(O)/valgrind-$$t.log; \
			exit 1; \
		fi; \
		grep -E "^[0-9]+%: Checks" $(O)/valgrind-$$t.log; \
	done

demo: all
	@sh examples/demo/run.sh $(O)

lint-man:
	mandoc -T lint -W warning $(MANPAGES)

# ---- bench (tests/bench/; needs root: fdbroker run opens listeners and switches user) ---
#   make bench                full run (< 3 min on 2 cores): table on stdout, $(O)/bench.json
#   make bench BENCH_QUICK=1  every row once with tiny counts, timings not judged (CI)
BENCH_BIN   := $(O)/bench/bench $(O)/bench/bench_client

$(O)/bench/bench: tests/bench/bench.c | deps
	@mkdir -p $(@D)
	$(CC) $(FINAL_CFLAGS) -pie -o $@ $< $(FINAL_LDFLAGS)

$(O)/bench/bench_client: tests/bench/bench_client.c $(LIBA) | deps
	@mkdir -p $(@D)
	$(CC) $(FINAL_CFLAGS) -Iworker -pie -o $@ $< $(LIBA) $(FINAL_LDFLAGS) -lpthread

bench: all $(BENCH_BIN)
	@if [ "$$(id -u)" != 0 ]; then \
		echo "make bench: must run as root (fdbroker run opens the policy's listeners" \
		     "and switches to its user); try: sudo make bench" >&2; exit 1; fi
	$(O)/bench/bench --build $(O) --json $(O)/bench.json \
		$(if $(filter-out 0,$(BENCH_QUICK)),--quick)

# ---- fuzzing -------------------------------------------------------------------------------
# make fuzz          build the libFuzzer harnesses into build/fuzz/ and run each for FUZZ_SECONDS
# make fuzz-mutate   10,000 mutations of the seed policies through the parser, under ASan
# Needs clang with libFuzzer. New inputs found go to build/fuzz/corpus-*/, never into the tree;
# crashes are written to build/fuzz/ (crash-*). Only the pure code is fuzzed: policy/, proto.c.
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
FUZZ_SEEDS   := tests/fuzz/corpus
FUZZ_CFLAGS   = -std=gnu11 -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                $(INCLUDES) -Itests/fuzz -DFUZZ_INCLUDE_ROOT='"$(CURDIR)/$(FUZZ_SEEDS)/policy"' \
                -include tests/fuzz/fuzz_sandbox.h $(PKG_CFLAGS)
FUZZ_LIB_SRC := $(POLICY_SRC) common/proto.c

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_sandbox.h tests/fuzz/fuzz_open.h \
		$(FUZZ_LIB_SRC) $(wildcard policy/*.h common/proto.h) | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(PKG_LIBS)

# libFuzzer's progress goes to build/fuzz/*.log; the summary (or the crash) is printed.
fuzz: $(FUZZ_DIR)/fuzz_policy $(FUZZ_DIR)/fuzz_proto
	@mkdir -p $(FUZZ_DIR)/corpus-policy $(FUZZ_DIR)/corpus-proto
	@for h in policy proto; do \
		max=8192; [ $$h = proto ] && max=70000; \
		echo "fuzz_$$h: $(FUZZ_SECONDS) s (log: $(FUZZ_DIR)/fuzz_$$h.log)"; \
		( cd $(FUZZ_DIR) && ./fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -max_len=$$max \
			-print_final_stats=1 corpus-$$h $(CURDIR)/$(FUZZ_SEEDS)/$$h \
			> fuzz_$$h.log 2>&1 ) || { tail -n 60 $(FUZZ_DIR)/fuzz_$$h.log; exit 1; }; \
		grep -E "^Done|stat::number_of_executed_units|stat::new_units_added" \
			$(FUZZ_DIR)/fuzz_$$h.log; \
	done

fuzz-mutate: $(FUZZ_DIR)/fuzz_policy
	@mkdir -p $(FUZZ_DIR)/corpus-mutate
	@echo "fuzz_policy: 10,000 mutations of the example policies (log: $(FUZZ_DIR)/mutate.log)"
	@( cd $(FUZZ_DIR) && ./fuzz_policy -runs=10000 -seed=1 -max_len=8192 \
		corpus-mutate $(CURDIR)/$(FUZZ_SEEDS)/policy > mutate.log 2>&1 ) || \
		{ tail -n 60 $(FUZZ_DIR)/mutate.log; exit 1; }
	@grep -E "^Done" $(FUZZ_DIR)/mutate.log

# ---- install -------------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(FDBROKER) $(DESTDIR)$(BINDIR)/fdbroker
	install -m 0755 $(LIBSO) $(DESTDIR)$(LIBDIR)/libfdbroker.so.$(SOVERSION)
	ln -sf libfdbroker.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libfdbroker.so
	install -m 0644 $(LIBA) $(DESTDIR)$(LIBDIR)/libfdbroker.a
	install -m 0644 worker/fdbroker.h $(DESTDIR)$(INCLUDEDIR)/fdbroker.h
	@# generated here, so the installed file names the PREFIX of this install
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    worker/libfdbroker.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libfdbroker.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/libfdbroker.pc
	@for p in $(MANPAGES); do s=$${p##*.}; \
		install -d $(DESTDIR)$(MANDIR)/man$$s; \
		echo "install -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/"; \
		install -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/; done
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 $(BASHCOMP) $(DESTDIR)$(BASHCOMPDIR)/fdbroker
	@for f in $(EXAMPLES); do d=$(DESTDIR)$(DOCDIR)/$${f%/*}; m=0644; \
		[ -x "$$f" ] && m=0755; \
		install -d "$$d"; \
		echo "install -m $$m $$f $$d/"; \
		install -m $$m "$$f" "$$d/"; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/fdbroker
	rm -f $(DESTDIR)$(LIBDIR)/libfdbroker.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libfdbroker.so
	rm -f $(DESTDIR)$(LIBDIR)/libfdbroker.a
	rm -f $(DESTDIR)$(INCLUDEDIR)/fdbroker.h
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/libfdbroker.pc
	@for p in $(MANPAGES); do s=$${p##*.}; b=$${p##*/}; \
		echo "rm -f $(DESTDIR)$(MANDIR)/man$$s/$$b"; \
		rm -f $(DESTDIR)$(MANDIR)/man$$s/$$b; done
	rm -f $(DESTDIR)$(BASHCOMPDIR)/fdbroker
	@for f in $(EXAMPLES); do \
		echo "rm -f $(DESTDIR)$(DOCDIR)/$$f"; rm -f "$(DESTDIR)$(DOCDIR)/$$f"; done
	@# the directories only fdbroker uses, if nothing else was put there
	@for d in $(filter-out examples/,$(sort $(dir $(EXAMPLES)))) examples/; do \
		rmdir "$(DESTDIR)$(DOCDIR)/$$d" 2>/dev/null || true; done
	@rmdir "$(DESTDIR)$(DOCDIR)" 2>/dev/null || true

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
