# mod_habitual — build, test and demo.
#   make          build the module (mod_habitual/.libs/mod_habitual.so) and admin/habitual-admin
#   make run      the demo: private slapd + httpd on 127.0.0.1 with demo users
#   make test     every test suite (unit, unit under ASan/UBSan, integration)
#   make deps     install what is missing from Debian's packages (as root)
#   make deb      the Debian package mod_habitual/.build/deb/libapache2-mod-habitual_VERSION_amd64.deb

SHELL := /bin/bash
.DEFAULT_GOAL := all

# Debian's python, with Debian's pytest: a python3 earlier on PATH (pyenv,
# a virtualenv) would not have it.
PYTHON ?= /usr/bin/python3
APXS ?= apxs

# Debian 12 packages the build, the tests and the demo need; and npm, from
# Debian's package only when no npm is on PATH (a NodeSource nodejs brings its
# own, and Debian's npm package conflicts with it).
DEB_PACKAGES := make gcc libc6-dev pkg-config apache2 apache2-dev apache2-utils \
	libapr1-dev libaprutil1-dev libldap-dev libsqlite3-dev libpq-dev postgresql sqlite3 libjansson-dev libssl-dev \
	check slapd ldap-utils python3 python3-pytest python3-requests python3-psycopg2 faketime nodejs valgrind chromium \
	debhelper dpkg-dev fakeroot lintian \
	krb5-kdc krb5-admin-server krb5-user libapache2-mod-auth-gssapi libapache2-mod-auth-openidc curl openssl

# Answers to the packages' debconf questions, so `make deps` asks nothing: slapd
# makes no throw-away database; krb5-config (pulled in by the Kerberos packages)
# gets a realm and touches no KDC list (the tests run their own KDC and realm
# from files of their own; the council's /etc/krb5.conf is its own business).
DEBCONF_PRESEED := slapd slapd/no_configuration boolean true\n$\
krb5-config krb5-config/default_realm string COUNCIL.TEST\n$\
krb5-config krb5-config/add_servers_realm string COUNCIL.TEST\n$\
krb5-config krb5-config/add_servers boolean false\n$\
krb5-config krb5-config/read_conf boolean true

# The core in its layers (README "Layout"): base, store, domain, web, app.
# Generated at build time by core/embed.sh: the schema's migrations and the
# pages' templates (mod_habitual/templates/*.html).
SCHEMA_SRC := mod_habitual/core/store/schema_sql.c mod_habitual/core/store/schema_sql_pgsql.c
TEMPLATE_SRC := mod_habitual/core/web/templates.c
TEMPLATE_HDR := mod_habitual/core/web/templates.h
TEMPLATES := $(sort $(wildcard mod_habitual/templates/*.html))
LETTER_TEMPLATE_SRC := mod_habitual/core/domain/letter_templates.c
LETTER_TEMPLATE_HDR := mod_habitual/core/domain/letter_templates.h
LETTER_TEMPLATES := $(sort $(wildcard mod_habitual/templates/letters/*.html))
GENERATED_SRC := $(SCHEMA_SRC) $(TEMPLATE_SRC) $(LETTER_TEMPLATE_SRC)
GENERATED_HDR := $(TEMPLATE_HDR) $(LETTER_TEMPLATE_HDR)
CORE_SRC := $(filter-out $(GENERATED_SRC),$(sort $(wildcard mod_habitual/core/*/*.c))) $(GENERATED_SRC)
GLUE_SRC := $(sort $(wildcard mod_habitual/*.c))
ADMIN_SRC := $(sort $(wildcard admin/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
CORE_HEADERS := $(filter-out $(GENERATED_HDR),$(wildcard mod_habitual/core/*/*.h)) $(GENERATED_HDR)
HEADERS := $(wildcard include/habitual/*/*.h mod_habitual/*.h admin/*.h tests/unit/*.h) $(CORE_HEADERS)
SCHEMA := $(sort $(wildcard schema/[0-9][0-9][0-9]_*.sql))
SCHEMA_PG := $(sort $(wildcard schema/pgsql/[0-9][0-9][0-9]_*.sql))

WARN := -Wall -Wextra -Werror
STD := -std=c11 -D_GNU_SOURCE
DEPS_CFLAGS = $(shell apr-1-config --includes --cppflags 2>/dev/null) \
	$(shell pkg-config --cflags jansson sqlite3 libcrypto libpq 2>/dev/null)
DEPS_LIBS = $(shell apr-1-config --link-ld --libs 2>/dev/null) \
	$(shell pkg-config --libs jansson sqlite3 libcrypto libpq 2>/dev/null)
CFLAGS ?= -g -O2
ALL_CFLAGS = $(STD) $(WARN) $(CPPFLAGS) $(CFLAGS) -fPIC -Iinclude -Imod_habitual/core $(DEPS_CFLAGS)

BUILD := mod_habitual/.build
ASAN_BUILD := tests/.build-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

MODULE := mod_habitual/.libs/mod_habitual.so
ASSETS := mod_habitual/assets/dist/habitual.css
ADMIN := admin/habitual-admin
CORE_LIB := $(BUILD)/libhabcore.a


.PHONY: all deps run deb test-deb test bench test-browser lint fuzz fuzz-replay test-unit test-unit-asan test-unit-valgrind test-integration test-integration-pgsql test-integration-asan asan clean

all: $(MODULE) $(ADMIN) $(ASSETS)

# ---- the pages' stylesheet and scripts: GOV.UK Frontend from npm, pinned ----
$(ASSETS): mod_habitual/assets/package-lock.json mod_habitual/assets/habitual.scss \
		$(wildcard mod_habitual/assets/src/*.js) mod_habitual/assets/build.sh
	cd mod_habitual/assets && npm ci --no-audit --no-fund --loglevel=error && sh build.sh

# ---- dependencies ----
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "Missing Debian packages: $$missing"; \
		echo "Install them as root with:"; \
		echo "  printf '$(DEBCONF_PRESEED)\\n' | sudo debconf-set-selections"; \
		echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing"; \
		exit 1; \
	fi; \
	echo "Installing: $$missing"; \
	printf '$(DEBCONF_PRESEED)\n' | debconf-set-selections; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

# ---- the core, shared by module, admin tool and unit tests ----
mod_habitual/core/store/schema_sql.c: $(SCHEMA) mod_habitual/core/embed.sh
	sh mod_habitual/core/embed.sh schema schema $@

mod_habitual/core/store/schema_sql_pgsql.c: $(SCHEMA_PG) mod_habitual/core/embed.sh
	sh mod_habitual/core/embed.sh schema schema/pgsql $@ _pgsql

# One rule makes both files (the header lists what the .c defines).
$(TEMPLATE_HDR): $(TEMPLATE_SRC)
$(TEMPLATE_SRC): $(TEMPLATES) mod_habitual/core/embed.sh
	sh mod_habitual/core/embed.sh templates mod_habitual/templates $(TEMPLATE_SRC) $(TEMPLATE_HDR)

$(LETTER_TEMPLATE_HDR): $(LETTER_TEMPLATE_SRC)
$(LETTER_TEMPLATE_SRC): $(LETTER_TEMPLATES) mod_habitual/core/embed.sh
	sh mod_habitual/core/embed.sh templates mod_habitual/templates/letters $(LETTER_TEMPLATE_SRC) \
		$(LETTER_TEMPLATE_HDR)

$(BUILD)/%.o: mod_habitual/core/%.c $(HEADERS) | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD):
	mkdir -p $@

CORE_OBJ = $(patsubst mod_habitual/core/%.c,$(BUILD)/%.o,$(CORE_SRC))

$(CORE_LIB): $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

# ---- the module, with apxs ----
APXS_CFLAGS := $(foreach f,$(STD) $(WARN) -I../include -Icore \
	$(shell pkg-config --cflags jansson sqlite3 libcrypto libpq 2>/dev/null),-Wc,$(f))
$(MODULE): $(GLUE_SRC) $(CORE_SRC) $(HEADERS)
	cd mod_habitual && $(APXS) -c -o mod_habitual.la $(APXS_CFLAGS) $(EXTRA_APXS) \
		$(notdir $(GLUE_SRC)) $(patsubst mod_habitual/%,%,$(CORE_SRC)) \
		$(shell pkg-config --libs jansson sqlite3 libcrypto libpq 2>/dev/null) >apxs.log 2>&1 \
		|| { grep -E 'error:|warning:' apxs.log; exit 1; }

# ---- the admin tool ----
$(ADMIN): $(ADMIN_SRC) $(CORE_LIB) $(HEADERS)
	$(CC) $(ALL_CFLAGS) -Iadmin $(ADMIN_SRC) $(CORE_LIB) $(LDFLAGS) $(DEPS_LIBS) -lldap -o $@.tmp && mv -f $@.tmp $@

# ---- tests ----
tests/unit/run-unit: $(UNIT_SRC) $(CORE_LIB) $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags check) $(UNIT_SRC) $(CORE_LIB) \
		$(DEPS_LIBS) $(shell pkg-config --libs check) -o $@

test-unit: tests/unit/run-unit
	tests/unit/run-unit

# The same core, admin tool and module built with ASan/UBSan.  The module is
# a file target: make test's second ASan suite finds it built (about three
# minutes on this machine's 2 cores).
ASAN_MODULE := $(ASAN_BUILD)/module/.libs/mod_habitual.so
asan:
	$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD)/core CFLAGS="-g -O1 $(SAN_FLAGS)" \
		ADMIN=$(ASAN_BUILD)/habitual-admin $(ASAN_BUILD)/habitual-admin $(ASAN_BUILD)/run-unit
	$(MAKE) --no-print-directory $(ASAN_MODULE)

$(ASAN_MODULE): $(GLUE_SRC) $(CORE_SRC) $(HEADERS)
	rm -rf $(ASAN_BUILD)/module && mkdir -p $(ASAN_BUILD)/module && \
		cp $(GLUE_SRC) mod_habitual/*.h $(ASAN_BUILD)/module/ && \
		tar -C mod_habitual -cf - $(patsubst mod_habitual/%,%,$(CORE_SRC) $(CORE_HEADERS)) | \
			tar -C $(ASAN_BUILD)/module -xf - && \
		cd $(ASAN_BUILD)/module && $(APXS) -c -o mod_habitual.la \
		$(foreach f,$(STD) $(WARN) -I$(CURDIR)/include -Icore -g -O1 $(SAN_FLAGS) \
			$(shell pkg-config --cflags jansson sqlite3 libcrypto libpq 2>/dev/null),-Wc,$(f)) \
		-Wl,-fsanitize=address,undefined \
		$(notdir $(GLUE_SRC)) $(patsubst mod_habitual/%,%,$(CORE_SRC)) \
		$(shell pkg-config --libs jansson sqlite3 libcrypto libpq 2>/dev/null) >apxs.log 2>&1 \
		|| { grep -E 'error:|warning:' apxs.log; rm -f .libs/mod_habitual.so; exit 1; }

$(ASAN_BUILD)/run-unit: $(UNIT_SRC) $(CORE_LIB) $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags check) $(UNIT_SRC) $(CORE_LIB) \
		$(DEPS_LIBS) $(shell pkg-config --libs check) -o $@

test-unit-asan: asan
	CK_FORK=no ASAN_OPTIONS=detect_leaks=1 $(ASAN_BUILD)/run-unit

# The unit suite under valgrind: any error or definite/indirect leak fails it.
test-unit-valgrind: tests/unit/run-unit
	CK_FORK=no valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=1 tests/unit/run-unit

# The OpenID provider test_oidc.py starts (npm's oidc-provider, pinned).
OIDC_NODE := tests/oidc/node_modules/.package-lock.json
$(OIDC_NODE): tests/oidc/package-lock.json tests/oidc/package.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error

test-integration: all $(OIDC_NODE)
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# The same suite on PostgreSQL: a private server the tests start themselves
# (tests/rig/rig.py, Postgres), a fresh database per rig; plus test_pgsql.py.
test-integration-pgsql: all $(OIDC_NODE)
	HABITUAL_DB=pgsql $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# Chromium (Debian's) through playwright-core: each role's journey, axe-core
# on every page, keyboard-only and no-JavaScript runs, CSRF refusals.
test-browser: all $(OIDC_NODE)
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/browser

# The benchmark (tests/bench/README.md): by hand, not part of `make test`.
BENCH_ARGS ?=
bench: all
	$(PYTHON) tests/bench/run_bench.py $(BENCH_ARGS)

# The Debian package on the machine's own Apache: make deb, dpkg -i, a2enmod,
# apache2ctl start, api/me, dpkg --purge, nothing left (root only, else skipped).
test-deb:
	$(PYTHON) -m pytest -q -rs -p no:cacheprovider tests/deb

test-integration-asan: asan $(OIDC_NODE)
	HABITUAL_MODULE=$(CURDIR)/$(ASAN_MODULE) \
	HABITUAL_ADMIN=$(CURDIR)/$(ASAN_BUILD)/habitual-admin HABITUAL_ASAN=1 \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

lint:
	$(PYTHON) tests/lint/one_gate.py mod_habitual/core
	$(PYTHON) tests/lint/layers.py
	$(PYTHON) tests/lint/apr_formats.py mod_habitual admin
	$(PYTHON) tests/lint/comments.py mod_habitual include admin tests/unit tests/fuzz
	$(PYTHON) tests/lint/line_length.py
	$(PYTHON) tests/lint/no_markup.py

# Each fuzz target over its committed corpus (gcc + ASan/UBSan, no libFuzzer);
# `make fuzz` runs each under libFuzzer (clang) for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
fuzz-replay:
	tests/fuzz/run.sh replay
fuzz:
	tests/fuzz/run.sh fuzz $(FUZZ_SECONDS)

# Every suite runs, even after a failure; the last lines are each runner's
# summary.  A quoted group's suites run at the same time (tests/run_suites.sh
# says why); what they share is built first, so no two build it at once.
TEST_GROUPS := lint test-unit "test-unit-asan test-unit-valgrind fuzz-replay" \
	"test-integration test-integration-pgsql" "test-integration-asan test-browser" test-deb
test: deps
	$(MAKE) --no-print-directory all tests/unit/run-unit $(OIDC_NODE)
	@MAKE="$(MAKE)" tests/run_suites.sh $(TEST_GROUPS)

# ---- the Debian package (mod_habitual/debian/; README, "Debian package") ----
# dpkg-buildpackage on a copy of the tree in mod_habitual/.build/deb/ (it writes
# beside the tree it builds and leaves debian/ full of build files), the
# packaging moved to the copy's top level where Debian's tools look for it, with
# the assets built here first (npm, with this user's cache); lintian on the result.
DEB_VERSION = $(shell dpkg-parsechangelog -l mod_habitual/debian/changelog -S Version)
DEB_ARCH = $(shell dpkg-architecture -qDEB_HOST_ARCH)
DEB_FILE = libapache2-mod-habitual_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_STAGE = mod_habitual/.build/deb
deb: $(ASSETS)
	rm -rf $(DEB_STAGE) && mkdir -p $(DEB_STAGE)/src
	{ git ls-files -co --exclude-standard 2>/dev/null || find . -path ./.git -prune -o -type f -print; } \
		| grep -v '^$(DEB_STAGE)/' | tar -cf - --ignore-failed-read -T - mod_habitual/assets/dist \
		| tar -C $(DEB_STAGE)/src -xf -
	mv $(DEB_STAGE)/src/mod_habitual/debian $(DEB_STAGE)/src/debian
	cd $(DEB_STAGE)/src && dpkg-buildpackage -b -us -uc -j2 >../build.log 2>&1 \
		|| { tail -n 40 ../build.log; exit 1; }
	@echo "built $(DEB_STAGE)/$(DEB_FILE)"
	@lintian --info --display-info $(DEB_STAGE)/$(DEB_FILE) | tee $(DEB_STAGE)/lintian.log; \
	echo "lintian: $$(grep -c '^E:' $(DEB_STAGE)/lintian.log) errors, $$(grep -c '^W:' $(DEB_STAGE)/lintian.log) warnings"; \
	! grep -q '^E:' $(DEB_STAGE)/lintian.log

run: deps all
	$(PYTHON) tests/rig/demo.py

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) mod_habitual/.libs mod_habitual/*.la mod_habitual/*.lo \
		mod_habitual/*.slo mod_habitual/*.o mod_habitual/core/*/*.lo mod_habitual/core/*/*.slo \
		mod_habitual/core/*/*.o mod_habitual/core/*/.libs $(GENERATED_SRC) $(GENERATED_HDR) mod_habitual/apxs.log \
		$(ADMIN) $(DEB_STAGE) libapache2-mod-habitual_*.deb tests/unit/run-unit tests/.summary tests/.runs tests/fuzz/.build tests/fuzz/.scratch
