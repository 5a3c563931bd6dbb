# eventsvc: `make run` starts everything on the embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app eventsvc
DOMAINS := messages public mail organizer
TRANSLATIONS := eventsvc/translations

.PHONY: help install run test test-fast bench translations-extract translations-compile browser clean vendor

help:
	@echo "make run     install, migrate, load the bundled events, start web, worker, beat and SMTP"
	@echo "make test    install and run the whole test suite (SQLite and PostgreSQL)"
	@echo "make bench   run the benchmarks in bench/ and print their figures"
	@echo "make vendor  copy the door app's browser libraries (package.json) into eventsvc/static/vendor/"

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate translations-compile

translations-compile: $(BIN)/activate
	@for d in $(DOMAINS); do \
	  if ls $(TRANSLATIONS)/*/LC_MESSAGES/$$d.po >/dev/null 2>&1; then \
	    $(BIN)/pybabel -q compile -d $(TRANSLATIONS) -D $$d || exit 1; \
	  fi; \
	done

# Re-extract one domain's strings and merge them into its catalogs: make translations-extract DOMAIN=public
translations-extract: $(BIN)/activate
	$(BIN)/pybabel -q extract -F babel/$(DOMAIN).cfg -k _l -k lazy_gettext -o $(TRANSLATIONS)/$(DOMAIN).pot .
	@for lang in zh de en; do \
	  if [ -f $(TRANSLATIONS)/$$lang/LC_MESSAGES/$(DOMAIN).po ]; then \
	    $(BIN)/pybabel -q update -N -D $(DOMAIN) -i $(TRANSLATIONS)/$(DOMAIN).pot -d $(TRANSLATIONS) -l $$lang; \
	  else \
	    $(BIN)/pybabel -q init -D $(DOMAIN) -i $(TRANSLATIONS)/$(DOMAIN).pot -d $(TRANSLATIONS) -l $$lang; \
	  fi; \
	done

.env:
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))')" > .env
	@echo "Wrote .env with a new random SECRET_KEY"

run: install .env
	$(FLASK) db upgrade
	$(FLASK) events seed
	@$(BIN)/python -m eventsvc.devserver_banner
	$(BIN)/honcho start -f Procfile

# The programs the suite drives, from Debian: chromium (browser tests), fonts-noto-cjk (Chinese
# on pages, badges, certificates and posters), nginx (the deploy test), poppler-utils (reading
# PDFs), sqlite3 (the backup test), systemd-analyze (checking the units) and spamassassin (scoring
# the mail). Install what is missing where we may.
SYSTEM_TOOLS := chromium:chromium nginx:nginx-light pdftotext:poppler-utils sqlite3:sqlite3 systemd-analyze:systemd spamassassin:spamassassin
browser:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || [ -x /usr/sbin/$${pair%%:*} ] || missing="$$missing $${pair#*:}"; \
	done; \
	[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else echo "Install these Debian packages for the whole suite: apt-get install$$missing"; fi; \
	fi

test: install browser
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check --quiet --select F,E9 eventsvc tests bench
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not browser and not worker"

bench: install
	$(BIN)/python -m bench

# The door app's libraries, served from this site (never a CDN): the versions pinned in
# package.json/package-lock.json, copied into eventsvc/static/vendor/ (see its README.md).
VENDOR := eventsvc/static/vendor
vendor:
	npm ci --no-audit --no-fund --ignore-scripts
	@set -e; jsqr=$$(node -p 'require("./node_modules/jsqr/package.json").version'); \
	idb=$$(node -p 'require("./node_modules/idb/package.json").version'); \
	wb=$$(node -p 'require("./node_modules/workbox-sw/package.json").version'); \
	rm -rf $(VENDOR)/jsqr-* $(VENDOR)/idb-* $(VENDOR)/workbox-*; \
	mkdir -p $(VENDOR)/jsqr-$$jsqr $(VENDOR)/idb-$$idb $(VENDOR)/workbox-$$wb; \
	cp node_modules/jsqr/dist/jsQR.js node_modules/jsqr/LICENSE $(VENDOR)/jsqr-$$jsqr/; \
	cp node_modules/idb/build/index.js $(VENDOR)/idb-$$idb/idb.js; cp node_modules/idb/LICENSE $(VENDOR)/idb-$$idb/; \
	cp node_modules/workbox-sw/build/workbox-sw.js* node_modules/workbox-core/LICENSE $(VENDOR)/workbox-$$wb/; \
	for m in core routing strategies expiration cacheable-response; do \
	  cp node_modules/workbox-$$m/build/workbox-$$m.prod.js* $(VENDOR)/workbox-$$wb/; done; \
	echo "Vendored jsQR $$jsqr, idb $$idb, Workbox $$wb: update the paths in static/door/ and $(VENDOR)/README.md"

clean:
	rm -rf $(VENV) .pytest_cache
