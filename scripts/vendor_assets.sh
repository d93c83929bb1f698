#!/usr/bin/env bash
# Copy the JavaScript the site needs from node_modules into the folder Sphinx serves,
# so that every page works with no internet. Usage: vendor_assets.sh NODE_MODULES DEST
set -euo pipefail
src=${1:?node_modules folder}
dest=${2:?destination folder}
tmp="$dest.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/mermaid" "$tmp/mathjax" "$tmp/html-manager"
# Mermaid: the classic build, one file that defines window.mermaid. Not the ES module: browsers
# refuse module scripts from file://, where a reader opens _build/html/index.html.
cp "$src/mermaid/dist/mermaid.min.js" "$tmp/mermaid/"
# MathJax 3: the TeX-to-CHTML component with its fonts and lazily loaded extensions.
cp -r "$src/mathjax/es5/." "$tmp/mathjax/"
# The ipywidgets embedder (and the fonts it loads from beside itself) and RequireJS.
cp -r "$src/@jupyter-widgets/html-manager/dist/." "$tmp/html-manager/"
rm -f "$tmp/html-manager/"*.map
cp "$src/requirejs/require.js" "$tmp/require.js"
# The Chinese web font, Noto Sans SC (SIL OFL 1.1): the CSS and woff2 subsets of weights 400 and 700
# only (5.3 MB of the 73 MB package); _ext/course_i18n.py serves their CJK faces.
mkdir -p "$tmp/noto-sans-sc/files"
for weight in 400 700; do
  cp "$src/@fontsource/noto-sans-sc/$weight.css" "$tmp/noto-sans-sc/"
  cp "$src/@fontsource/noto-sans-sc/files/"noto-sans-sc-[0-9]*-"$weight"-normal.woff2 "$tmp/noto-sans-sc/files/"
done
cp "$src/@fontsource/noto-sans-sc/LICENSE" "$tmp/noto-sans-sc/LICENSE"
# Licences travel with the code.
for pkg in mermaid mathjax @jupyter-widgets/html-manager requirejs; do
  name=$(basename "$pkg")
  for f in "$src/$pkg"/LICENSE*; do [ -f "$f" ] && cp "$f" "$tmp/LICENSE.$name"; done
done
rm -rf "$dest"
mv "$tmp" "$dest"
echo "site assets: $(du -sh "$dest" | cut -f1) copied into $dest"
