#!/usr/bin/env bash
# The GPU proof of issue 14, in one command (see README.md here): the Java stack on a device through DJL, a
# transformer at the released width with random weights on the 640 bucket with N layers, timed and compared with a
# plain PyTorch transcription running the same weights and inputs; then the same Java run with float8 weights and
# blocks streamed from host memory. Builds nothing: DJL's JNI for the machine's torch comes from --jni.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
device=cuda:0 carry=gpu-carry cp= jni= torch_lib= torch_version= flavor= heads=24 blocks=4 text_dim=3584 layers=4 grid=40 stream=2 out=/tmp/layered-proof
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=$2 ;; --carry) carry=$2 ;; --jni) jni=$2 ;; --heads) heads=$2 ;; --blocks) blocks=$2 ;;
    --text-dim) text_dim=$2 ;; --layers) layers=$2 ;; --grid) grid=$2 ;; --stream-blocks) stream=$2 ;;
    --out) out=$2 ;; --cp) cp=$2 ;; --torch-lib) torch_lib=$2 ;; --torch-version) torch_version=$2 ;;
    --flavor) flavor=$2 ;;
    *) echo "usage: proof.sh [--device cuda:0|cpu] [--carry DIR] [--jni libdjl_torch.so] [--heads 24] [--blocks 4]" \
            "[--text-dim 3584] [--layers 4] [--grid 40] [--stream-blocks 2] [--out DIR] [--cp CLASSPATH]" \
            "[--torch-lib DIR --torch-version V --flavor F]" >&2
       exit 2 ;;
  esac
  shift 2
done
java=java python=${PYTHON:-python3}
[ -x "$carry/jre/bin/java" ] && java=$carry/jre/bin/java
[ -n "$cp" ] || cp="$carry/lib/*"   # --cp: a CPU rehearsal from a build tree (with the bundled CPU libtorch)
mkdir -p "$out"
export LAYERED_HOME=$out/home THP_MEM_ALLOC_ENABLE=1

echo "== 0. the machine"
"$python" - <<'EOF'
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda,
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "(no CUDA device)")
EOF
for tool in c++ cmake nvidia-smi; do
  printf '%-10s %s\n' "$tool" "$(command -v "$tool" || echo 'not found')"
done
"$java" -version 2>&1 | head -1

if [ "${device%%:*}" = cuda ] || [ -n "$jni" ]; then
  echo "== 1. DJL on the machine's libtorch"
  [ -n "$torch_lib" ] || torch_lib=$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
  [ -n "$torch_version" ] || torch_version=$("$python" -c 'import torch; print(torch.__version__.split("+")[0])')
  [ -n "$flavor" ] || flavor=cu$("$python" -c 'import torch; print(torch.version.cuda.replace(".", ""))')
  if [ -z "$jni" ] || [ ! -f "$jni" ]; then
    echo "no DJL JNI for torch $torch_version ($flavor) given: DJL 0.36's prebuilt one is for libtorch 2.7.1 only." >&2
    echo "Build libdjl_torch.so against this torch as /work/shared/docs/djl-jni-rebuild.md describes and pass" \
         "--jni FILE (carried beside the jars)." >&2
    exit 3
  fi
  engine=$out/libtorch
  rm -rf "$engine"; mkdir -p "$engine/lib"
  for f in "$torch_lib"/*; do case "$(basename "$f")" in *djl_torch*) ;; *) ln -s "$f" "$engine/lib/" ;; esac; done
  cp "$jni" "$engine/lib/libdjl_torch.so"
  "$java" -cp "$cp" org.layered.cli.LayeredMain engine use "$engine" --version "$torch_version" --flavor "$flavor"
  "$java" -cp "$cp" org.layered.cli.LayeredMain engine info
fi

common=(--dir "$out/run" --device "$device" --heads "$heads" --blocks "$blocks" --text-dim "$text_dim"
        --layers "$layers" --grid "$grid" --passes 3)
echo "== 2. Java, bf16 weights resident (${device})"
"$java" -cp "$cp" org.layered.bench.TransformerParity "${common[@]}" --weights bf16
echo "== 3. Java, fp8 weights, ${stream} blocks streamed from host memory"
"$java" -cp "$cp" org.layered.bench.TransformerParity "${common[@]}" --weights fp8 --stream-blocks "$stream"
echo "== 4. PyTorch transcription on the same weights and inputs"
LAYERS=$layers "$python" "$here/parity.py" "$out/run" "${device%%:*}"
echo "== 5. the plan for the released model on a 24 GiB card, fp8"
"$java" -cp "$cp" org.layered.cli.LayeredMain plan --vram-gib 24 --weights fp8 | tail -1
echo PROOF-DONE
