#!/usr/bin/env bash
# Install the CPU build of the torch version that requirements.lock pins, before the lock itself.
#
#   bash scripts/install_torch.sh PYTHON
#
# Why a step of its own: on Linux, PyPI's torch wheel is the CUDA build, which pulls several GB of
# nvidia-* packages that a CPU-only reader never uses. PyTorch's own CPU index serves the same
# release as `VERSION+cpu`. Once that is installed, the lock's `torch==VERSION` is already satisfied
# (a local label such as +cpu matches a pin that has none), so pip installs no second torch.
#
# Tried in order, stopping at the first that works:
#   1. a torch of the pinned version is already installed (a CUDA build on a GPU machine is kept);
#   2. VERSION+cpu from the indexes pip is configured with (a mirror or wheel folder may hold it);
#   3. VERSION+cpu from PyTorch's CPU index (TORCH_CPU_INDEX overrides its address);
#   4. on macOS and ARM Linux only, plain VERSION from the configured indexes (there PyPI's wheel is
#      the CPU build). On x86-64 Linux it stops with a message rather than fetch the CUDA build.
set -euo pipefail

python=${1:?usage: install_torch.sh PYTHON}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
index=${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}

version=$(sed -n 's/^torch==\([^ ;]*\).*/\1/p' "$here/requirements.lock")
if [[ -z $version ]]; then
    echo "error: requirements.lock pins no torch version (expected a line torch==X.Y.Z)" >&2
    exit 1
fi

installed=$("$python" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)
if [[ ${installed%%+*} == "$version" ]]; then
    echo "torch $installed is installed"
    exit 0
fi

pip=("$python" -m pip install --quiet)
if "${pip[@]}" "torch==$version+cpu" 2>/dev/null; then
    echo "torch $version+cpu installed"
elif "${pip[@]}" --index-url "$index" "torch==$version+cpu"; then
    echo "torch $version+cpu installed from $index"
elif [[ $(uname -s) == Darwin || $(uname -m) != x86_64 ]]; then
    # macOS and ARM Linux: PyPI's wheel is the CPU build.
    "${pip[@]}" "torch==$version"
    echo "torch $version installed"
else
    echo "error: could not install torch $version+cpu (pip's message above). Check the connection" \
        "to $index, or set TORCH_CPU_INDEX to a mirror of it. PyPI's torch for this platform is" \
        "the CUDA build (several GB): to use it anyway, install it first with" \
        "'$python -m pip install torch==$version'." >&2
    exit 1
fi
