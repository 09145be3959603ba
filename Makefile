# custos — the two commands: `make run` and `make test`.
# Both install what they need from Debian's packages first (idempotent).

JOBS    ?= $(shell nproc)
RELEASE ?= build/release
TESTDIR ?= build/test
SECONDS ?= 300

.PHONY: all build run test fuzz bench clean deps install lint

all: build

deps:
	@scripts/deps.sh run

build: deps
	@cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DCUSTOS_TESTS=OFF >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS)

# Builds a release binary, prepares ./var (SQLite store, dev master key),
# prints a demo account, app and key, and serves on 127.0.0.1:8080.
run: build
	@scripts/run.sh $(RELEASE)/custos

# Sanitizer build, real PostgreSQL on loopback in a temp dir, every test.
test:
	@scripts/test.sh

# Long fuzzing: make fuzz SECONDS=3600 (each harness in turn).
fuzz:
	@scripts/fuzz.sh $(SECONDS)

# Each benchmark runs custos and its anchor in the same run and prints the
# ratio (docs/performance.md). Bench deps first so CMake finds libjwt.
bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build
	@bench/http.sh $(RELEASE)/custos
	@bench/keys.sh $(RELEASE)/custos
	@bench/jose.sh $(RELEASE)
	@bench/gateway.sh $(RELEASE)/custos

# clang-tidy over src/ with .clang-tidy; any finding fails.
lint:
	@scripts/lint.sh

install: build
	@cmake --install $(RELEASE)

clean:
	rm -rf build
