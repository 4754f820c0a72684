#!/usr/bin/env bash
# Render a report workbook to PDF and PNG pages with LibreOffice, to check its layout by eye.
#
#   tools/render_workbook.sh reports/report.xlsx [outdir] [dpi]
#
# Needs soffice (Debian: libreoffice-calc-nogui) and pdftoppm (poppler-utils). Every sheet is
# printed as its page setup says (landscape, fitted to the page width); pages land in outdir as
# <name>-<page>.png.
set -euo pipefail
xlsx=${1:?usage: $0 workbook.xlsx [outdir] [dpi]}
out=${2:-/tmp/rep}
dpi=${3:-50}
for tool in soffice pdftoppm; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found on PATH" >&2; exit 1; }
done
mkdir -p "$out"
name=$(basename "${xlsx%.*}")
# A private profile, so a LibreOffice already open on the desktop does not swallow the job.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
soffice "-env:UserInstallation=file://$profile" --headless --convert-to pdf --outdir "$out" "$xlsx" >/dev/null
pdftoppm -png -r "$dpi" "$out/$name.pdf" "$out/$name"
ls "$out/$name"*.png
