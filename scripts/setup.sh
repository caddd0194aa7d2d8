# Shared set-up for scripts/test, scripts/run and scripts/bench (sourced, not run).
# Everything a fresh machine lacks is installed here: Debian packages, the
# virtualenv with the project, Mysten's SDK for its conformance tests, a running
# Docker engine, the local test images.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
# Debian packages the project needs: the Docker engine, a local registry for
# pull tests, busybox for test images, debootstrap for the agent image,
# prometheus as the real scraper of the metrics tests.
# systemd: systemd-analyze verify; docker-compose: `docker-compose config` of
# deploy/compose (tests/test_deploy_files.py).
APT_PACKAGES=(docker.io docker-registry busybox-static debootstrap prometheus systemd docker-compose)

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        say "need root for: $*"; return 1; fi
}

ensure_apt_packages() {
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -q >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# Create or reuse .venv; reinstall only when pyproject.toml changed. A venv
# installed with the test extras also serves `ensure_venv ""`.
ensure_venv() {
    local extras="$1" hash
    [ -x "$PY" ] || { say "creating $VENV"; python3 -m venv "$VENV"; }
    hash="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
    if [ -f "$VENV/.installed-$hash-$extras" ] || { [ -z "$extras" ] && compgen -G "$VENV/.installed-$hash-*" >/dev/null; }; then
        return 0
    fi
    say "installing the project into .venv${extras:+ with [$extras]}"
    "$PY" -m pip install -q --disable-pip-version-check -e "$ROOT${extras:+[$extras]}"
    rm -f "$VENV"/.installed-*
    touch "$VENV/.installed-$hash-$extras"
}

# A reachable Docker engine: start dockerd in the background when it is
# installed but not running, then wait until it answers.
ensure_docker() {
    docker info >/dev/null 2>&1 && return 0
    ensure_apt_packages
    if ! docker info >/dev/null 2>&1; then
        say "starting dockerd (log: /var/log/silvana-dockerd.log)"
        as_root sh -c 'nohup setsid dockerd >/var/log/silvana-dockerd.log 2>&1 </dev/null &'
        local i
        for i in $(seq 1 60); do
            docker info >/dev/null 2>&1 && return 0
            sleep 1
        done
        say "dockerd did not answer within 60 s; see /var/log/silvana-dockerd.log"
        return 1
    fi
}

# Mysten's TypeScript SDK and the Node.js it needs (22, an npm package: the
# machine's own may be older), for the SDK conformance tests: tests/sdk's
# package-lock.json installed with `npm ci` into a cache directory named by the
# lock's hash, so a changed lock installs afresh and an unchanged one is reused.
SDK_LOCK="$ROOT/tests/sdk/package-lock.json"
sdk_dir() {
    printf '%s/silvana/sdk-%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}" \
        "$(sha256sum "$SDK_LOCK" | cut -c1-16)"
}

ensure_sdk() {
    local dir
    dir="$(sdk_dir)"
    [ -x "$dir/node_modules/.bin/node" ] && return 0
    if ! command -v npm >/dev/null; then
        say "installing Debian's npm (to install the SDK's own Node.js)"
        as_root apt-get update -q >/dev/null
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            npm >/dev/null
    fi
    say "installing @mysten/sui and Node.js 22 into $dir"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    cp "$ROOT/tests/sdk/package.json" "$SDK_LOCK" "$dir.tmp/"
    (cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
}
