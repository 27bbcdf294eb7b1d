# Sourced by Floe's scripts: installs the npm workspace when package-lock.json changed since the
# last install (or on a fresh clone), then builds the TypeScript project references.
floe_ensure_deps() {
  local stamp=node_modules/.floe-lock-sha
  local want; want=$(sha256sum package-lock.json | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "floe: installing npm dependencies" >&2
    # `npm install`, not `npm ci`: the registry mirror these machines use lacks some other-platform
    # builds of native packages (swc, resolver bindings) at the locked versions, so npm leaves them
    # out of the lock and `npm ci` then rejects the lock as out of sync. `npm install` installs the
    # locked versions all the same and leaves the lock unchanged.
    npm install --loglevel=error --no-fund --no-audit >&2 || return 1
    echo "$want" > "$stamp"
  fi
}

floe_build() {
  echo "floe: building" >&2
  node node_modules/typescript/bin/tsc -b >&2
}

# Type-checks tests, the code generator, benchmarks and tools (tsc -b builds only src/).
floe_typecheck_tools() {
  echo "floe: type-checking tests and tools" >&2
  node node_modules/typescript/bin/tsc -p tsconfig.tools.json >&2
}
