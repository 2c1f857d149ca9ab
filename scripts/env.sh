# Environment for building and running with the optional backends; `source scripts/env.sh`.
# tch: libtorch 2.9.0 from the cached venv's torch wheel (scripts/setup-torch-venv.sh).
# wgpu: a writable XDG_RUNTIME_DIR for the Vulkan loader.
BURN_LOSSES_VENV="${BURN_LOSSES_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/burn-losses/torch-venv}"
export BURN_LOSSES_VENV
if [ -x "$BURN_LOSSES_VENV/bin/python" ]; then
  export PATH="$BURN_LOSSES_VENV/bin:$PATH"
  export LIBTORCH_USE_PYTORCH=1
  _torch_lib="$("$BURN_LOSSES_VENV/bin/python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null || true)"
  [ -n "$_torch_lib" ] && export LD_LIBRARY_PATH="$_torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  unset _torch_lib
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
