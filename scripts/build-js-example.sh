#!/usr/bin/env bash
# Builds the JavaScript example rule (plugins/examples/js-vat-required) into a WASI 0.2
# component with componentize-js: plugins/target/js/js_vat_required.wasm.
#
#   scripts/build-js-example.sh [--force] [--skip-host-check]
#
# Needs node (>= 18) and npm, and fails when they are missing; installs the pinned npm
# dependencies into the example's node_modules when they are missing. The component is
# rebuilt only when it is older than its inputs (rule.js, package*.json, wit/, this
# script) or with --force. Afterwards it is inspected with `wasm-tools component wit`
# (when installed) and checked with `papyr plugin check` (skipped with
# --skip-host-check, which the runtime's js_example test uses because it loads the
# component into the host itself).
set -euo pipefail

die() {
    echo "build-js-example: error: $*" >&2
    exit 1
}

host_check=1
force=0
for arg in "$@"; do
    case "$arg" in
        --skip-host-check) host_check=0 ;;
        --force) force=1 ;;
        -h | --help)
            sed -n '2,13p' "$0"
            exit 0
            ;;
        *) die "unknown argument: $arg" ;;
    esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example="$root/plugins/examples/js-vat-required"
wit="$root/wit"
out_dir="$root/plugins/target/js"
out="$out_dir/js_vat_required.wasm"

command -v node >/dev/null 2>&1 ||
    die "node is not installed (needed to build the JavaScript example; e.g. apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 ||
    die "npm is not installed (needed to build the JavaScript example; e.g. apt-get install npm)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 18 ] || die "node $(node --version) is too old: componentize-js needs node 18 or newer"

mkdir -p "$out_dir"
# Test runners that start one process per test (nextest) run this concurrently: one
# builds, the others wait and then find the component up to date.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$out_dir/.build.lock"
    flock 9
fi

fresh=0
if [ "$force" = 0 ] && [ -s "$out" ]; then
    fresh=1
    for input in "$example"/rule.js "$example"/package.json "$example"/package-lock.json "$wit"/*.wit "${BASH_SOURCE[0]}"; do
        if [ "$input" -nt "$out" ]; then
            fresh=0
        fi
    done
fi

# componentize-js binds every import of the target world, used or not, so the rule is
# built against `fraud-rule-basic`: the fraud-rule world without the `history` import.
build() {
    cd "$example"
    local cjs="$example/node_modules/@bytecodealliance/componentize-js"
    local pinned
    pinned="$(node -p 'require("./package.json").devDependencies["@bytecodealliance/componentize-js"]')"
    # npm writes node_modules/.package-lock.json on every install: older than the
    # committed lock file (or absent) means the installed packages may not match it.
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        echo "build-js-example: npm ci (componentize-js $pinned) in $example" >&2
        npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed in $example"
    fi

    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT

    echo "build-js-example: componentize-js $pinned: rule.js → $out" >&2
    local started=$SECONDS
    # `http` and `fetch-event` would import wasi:http, which the host refuses.
    node "$cjs/src/cli.js" rule.js \
        --wit "$wit" --world-name fraud-rule-basic \
        --disable http fetch-event \
        -o "$work/out.wasm" ||
        die "componentize-js failed"
    [ -s "$work/out.wasm" ] || die "componentize-js wrote no component"
    # Same folder, then rename: a reader never sees a half-written component.
    cp "$work/out.wasm" "$out.tmp"
    mv "$out.tmp" "$out"
    echo "build-js-example: built $(stat -c %s "$out") bytes in $((SECONDS - started)) s" >&2
}

if [ "$fresh" = 1 ]; then
    echo "build-js-example: $out is up to date" >&2
else
    build
fi

if command -v wasm-tools >/dev/null 2>&1; then
    world="$(wasm-tools component wit "$out")" || die "wasm-tools cannot read $out"
    grep -q 'export check: func' <<<"$world" || die "$out does not export check"
    grep -q 'export rules: func' <<<"$world" || die "$out does not export rules"
    if grep -q 'import papyr:pipeline/history' <<<"$world"; then
        die "$out imports papyr:pipeline/history"
    fi
    grep -E '^  (import|export) ' <<<"$world" >&2
else
    echo "build-js-example: wasm-tools not installed; skipping the WIT inspection" >&2
fi

if [ "$host_check" = 1 ]; then
    (cd "$root" && cargo run -q -p papyr -- plugin check "$out") ||
        die "papyr plugin check refused $out"
fi
