# Sourced by Floe's scripts: Java artifacts from Maven Central, resolved once into a cache
# directory keyed by the content of the pom that pins them (a changed pin resolves afresh).
FLOE_CACHE=${FLOE_CACHE:-$HOME/.cache/floe}

# A cache directory keyed by the content of the files that pin what goes in it.
keyed_dir() { # name file...
  local name=$1; shift
  echo "$FLOE_CACHE/$name-$(cat "$@" | sha256sum | cut -c1-12)"
}

# Copies the pom's runtime dependencies into libdir (skipped when already complete).
maven_resolve() { # pom libdir
  [ -f "$2/.complete" ] && return 0
  command -v mvn >/dev/null 2>&1 || { echo "maven: mvn is required (Maven resolves Java artifacts from Maven Central)" >&2; return 1; }
  echo "maven: resolving $(basename "$(dirname "$1")") from Maven Central" >&2
  rm -rf "$2"
  mvn -B -q -f "$1" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$2" -DincludeScope=runtime >&2
  touch "$2/.complete"
}

# The classpath of a resolved libdir, for java -cp.
maven_classpath() { # libdir
  echo "$1/*"
}
