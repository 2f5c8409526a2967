#!/usr/bin/env bash
# Preview one stack with the policy pack and print a Markdown summary.
#
#   bash pipeline/preview.sh STACK
#
# Needs `pulumi` on PATH and whatever the backend needs (PULUMI_BACKEND_URL,
# PULUMI_CONFIG_PASSPHRASE, ...). Files land in $PREVIEW_OUT_DIR (default
# ${TMPDIR:-/tmp}/vault-k8s-preview/STACK): config.json, policy-config.json,
# preview.json, events.jsonl, preview.stderr, summary.md, and plan.json when
# PREVIEW_SAVE_PLAN=1 (the update plan pipeline/up.sh applies).
#
# Exit status: non-zero if the preview failed (including mandatory policy
# violations) or if it plans a data-loss change that ALLOW_DATA_LOSS does not allow.
set -euo pipefail

stack="${1:?usage: pipeline/preview.sh STACK}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${PREVIEW_OUT_DIR:-${TMPDIR:-/tmp}/vault-k8s-preview/${stack}}"
python="${PYTHON:-${root}/.venv/bin/python}"
[[ -x "$python" ]] || python="python3"
mkdir -p "$out"

# A stack whose config lives outside stacks/ (the local stack's per-run copy) names it here.
config_file=()
if [[ -n "${PREVIEW_CONFIG_FILE:-}" ]]; then config_file=(--config-file "$PREVIEW_CONFIG_FILE"); fi
save_plan=()
if [[ "${PREVIEW_SAVE_PLAN:-0}" == 1 ]]; then
  rm -f "$out/plan.json"
  save_plan=(--save-plan "$out/plan.json")
fi

# Fail closed: if the stack's config cannot be read, do not preview with advisory policies.
pulumi config --json --stack "$stack" --cwd "$root" "${config_file[@]}" >"$out/config.json"
(cd "$root" && "$python" -m pipeline.policy_config "$out/config.json") >"$out/policy-config.json"

# `--preview --json` leaves policy violations out; the event log has them. The flag is only
# registered when debug commands are on.
export PULUMI_DEBUG_COMMANDS=true
preview_rc=0
pulumi preview \
  --cwd "$root" \
  --stack "$stack" \
  "${config_file[@]}" \
  --json \
  --non-interactive \
  --policy-pack "$root/policy" \
  --policy-pack-config "$out/policy-config.json" \
  --event-log "$out/events.jsonl" \
  "${save_plan[@]}" \
  >"$out/preview.json" 2>"$out/preview.stderr" || preview_rc=$?

summary_rc=0
(cd "$root" && "$python" -m pipeline.preview_summary "$out/preview.json" \
  --events "$out/events.jsonl" --stack "$stack" --output "$out/summary.md") || summary_rc=$?

if [[ $preview_rc -ne 0 ]]; then
  echo "pulumi preview failed (exit $preview_rc); stderr follows:" >&2
  cat "$out/preview.stderr" >&2
fi
if [[ $summary_rc -eq 1 ]]; then
  echo "preview plans data loss that is not allowed (see summary above)" >&2
fi
echo "preview files: $out" >&2

if [[ $preview_rc -ne 0 ]]; then exit "$preview_rc"; fi
exit "$summary_rc"
