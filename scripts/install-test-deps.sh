#!/usr/bin/env bash
# Install the system packages the test suite needs and pip cannot provide:
#   chromium        headless browser tests (Playwright drives /usr/bin/chromium)
#   fonts-noto-cjk  Chinese, Japanese and Korean glyphs in browser screenshots
#   redis-server    the distributed-crawl tests start their own Redis on 127.0.0.1
# Only what is missing is installed, with apt-get (after apt-get update), as root or with
# passwordless sudo. This script never fails the test run: when it cannot install, it says
# so and the tests that need these packages skip with a reason.
set -u

log() { echo "install-test-deps: $*"; }
have_command() { command -v "$1" >/dev/null 2>&1; }
have_package() {
	have_command dpkg-query &&
		dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
if ! have_command chromium && ! have_command chromium-browser; then
	missing+=(chromium)
fi
if ! have_package fonts-noto-cjk && ! (have_command fc-list && fc-list :lang=zh | grep -qi "noto"); then
	missing+=(fonts-noto-cjk)
fi
if ! have_command redis-server; then
	missing+=(redis-server)
fi

if [ ${#missing[@]} -eq 0 ]; then
	log "chromium, fonts-noto-cjk and redis-server are installed"
	exit 0
fi
log "missing: ${missing[*]}"

if ! have_command apt-get; then
	log "apt-get is not available here; tests that need ${missing[*]} will be skipped"
	exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif have_command sudo && sudo -n true 2>/dev/null; then
	sudo=(sudo -n)
else
	log "not root and no passwordless sudo; install them yourself with:"
	log "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
	log "until then, tests that need them will be skipped"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
limit=()
if have_command timeout; then
	limit=(timeout 900)
fi
run() {
	log "+ $*"
	"${limit[@]}" "${sudo[@]}" "$@" </dev/null
}
if ! run apt-get update -qq; then
	log "apt-get update failed; tests that need ${missing[*]} will be skipped"
	exit 0
fi
if ! run apt-get install -y -qq "${missing[@]}"; then
	log "apt-get install failed; tests that need ${missing[*]} will be skipped"
	exit 0
fi
log "installed ${missing[*]}"
