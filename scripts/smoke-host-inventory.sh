#!/bin/sh
# After a deploy: proves that host reports reach the host inventory. It puts one "Certificate
# Reload Failed" report (certificate smoke-test, host smoke-test-<time>) on the bus, waits for its
# line in the inventory log group, then checks that the rule's FailedInvocations (AWS/Events,
# EventBusName + RuleName; only published when not zero) has no datapoint over the last hour.
#
#   scripts/smoke-host-inventory.sh [cdk-outputs.json]     # from `npx cdk deploy --outputs-file cdk-outputs.json`
#
# Uses the AWS CLI and jq, with the credentials and region of the deploy (AWS_PROFILE, AWS_REGION).
# The report shows on the dashboard's inventory as certificate smoke-test. Exit 0: delivered.
set -eu
outputs=${1:-cdk-outputs.json}
wait_seconds=${CERTFLOW_SMOKE_WAIT_SECONDS:-120}
output() { jq -er --arg key "$1" 'first(.[] | .[$key] // empty)' "$outputs" || { echo "smoke test: no output $1 in $outputs" >&2; exit 2; }; }
bus=$(output EventBusName)
group=$(output HostInventoryLogGroupName)
rule=$(output HostInventoryRuleName)

host="smoke-test-$(date +%s)"
# Log events from a minute before the report on (the group keeps a year of reports).
since=$(( ($(date +%s) - 60) * 1000 ))
detail=$(jq -cn --arg host "$host" '{certificateId: "smoke-test", host: $host, stage: "verify", version: "smoke-test", error: "smoke test (scripts/smoke-host-inventory.sh), not a real host"}')
entries=$(jq -cn --arg bus "$bus" --arg detail "$detail" '[{EventBusName: $bus, Source: "certflow", DetailType: "Certificate Reload Failed", Detail: $detail}]')
failed=$(aws events put-events --entries "$entries" --query FailedEntryCount --output text)
[ "$failed" = 0 ] || { echo "smoke test: PutEvents refused the report" >&2; exit 1; }
echo "event in: Certificate Reload Failed from $host on $bus"

waited=0
while :; do
  lines=$(aws logs filter-log-events --log-group-name "$group" --start-time "$since" --filter-pattern "\"$host\"" --query 'length(events)' --output text)
  [ "$lines" -ge 1 ] && break
  [ "$waited" -ge "$wait_seconds" ] && { echo "smoke test: no line for $host in $group after ${wait_seconds}s" >&2; exit 1; }
  sleep 5; waited=$((waited + 5))
done
echo "line out: $group has the report"

# GNU date, else BSD date (macOS).
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date -u +%s)
failures=$(aws cloudwatch get-metric-statistics --namespace AWS/Events --metric-name FailedInvocations \
  --dimensions "Name=EventBusName,Value=$bus" "Name=RuleName,Value=$rule" \
  --start-time "$(iso $((now - 3600)))" --end-time "$(iso "$now")" \
  --period 3600 --statistics Sum --output json | jq '[.Datapoints[].Sum] | add // 0')
[ "$failures" = 0 ] || { echo "smoke test: rule $rule has $failures FailedInvocations in the last hour" >&2; exit 1; }
echo "FailedInvocations of $rule in the last hour: 0"
