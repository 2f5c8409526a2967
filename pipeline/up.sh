#!/usr/bin/env bash
# Apply one stack exactly as it was previewed and gated.
#
#   bash pipeline/up.sh STACK
#
# Runs pipeline/preview.sh (policy pack + data-loss gate, ALLOW_DATA_LOSS as
# there) and saves the update plan of that preview; only if the gate passes,
# `pulumi up --plan` applies it. The update refuses any operation beyond the
# plan (a replace where the plan had an update, a change that drifted in since),
# so what runs is what the gate saw. Update plans are experimental in the CLI.
set -euo pipefail

stack="${1:?usage: pipeline/up.sh STACK}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${PREVIEW_OUT_DIR:-${TMPDIR:-/tmp}/vault-k8s-preview/${stack}}"
export PREVIEW_OUT_DIR="$out" PREVIEW_SAVE_PLAN=1 PULUMI_EXPERIMENTAL=true

gate_rc=0
bash "$root/pipeline/preview.sh" "$stack" || gate_rc=$?
if [[ $gate_rc -ne 0 ]]; then
  echo "not applying $stack: the preview gate failed (exit $gate_rc)" >&2
  exit "$gate_rc"
fi
[[ -s "$out/plan.json" ]] || { echo "not applying $stack: the preview saved no plan" >&2; exit 1; }

config_file=()
if [[ -n "${PREVIEW_CONFIG_FILE:-}" ]]; then config_file=(--config-file "$PREVIEW_CONFIG_FILE"); fi
pulumi up \
  --cwd "$root" \
  --stack "$stack" \
  "${config_file[@]}" \
  --plan "$out/plan.json" \
  --yes \
  --non-interactive \
  --skip-preview \
  --policy-pack "$root/policy" \
  --policy-pack-config "$out/policy-config.json"
