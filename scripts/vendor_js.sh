#!/usr/bin/env bash
# Refresh vendored browser libraries from the npm registry. Run by hand when upgrading, never at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
while read -r spec file out dest; do
  [ -z "$spec" ] && continue
  (cd "$TMP" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$TMP/x" && tar xzf "$TMP"/*.tgz -C "$TMP/x"
  cp "$TMP/x/package/$file" "$dest/$out"
  cp "$TMP/x/package/LICENSE" "$dest/${out%%.esm.min.js}.LICENSE" 2>/dev/null || cp "$TMP/x/package/LICENSE" "$dest/${out%%.min.js}.LICENSE"
  rm -rf "$TMP"/*.tgz "$TMP/x"
done <<'LIST'
socket.io-client@4.8.4 dist/socket.io.esm.min.js socket.io-4.8.4.esm.min.js static/vendor
cytoscape@3.34.4 dist/cytoscape.esm.min.mjs cytoscape-3.34.4.esm.min.js static/vendor
axe-core@4.14.1 axe.min.js axe-4.14.1.min.js tests/vendor
LIST
(cd static/vendor && sha256sum ./*.js | sed 's# \./# #' > SHA256SUMS)
