#!/usr/bin/env bash
# The demo: starts the local stack (real kube-apiserver + etcd, ARM simulator, operator) with the
# upstream AKSNodeClass CRD, as on AKS with node autoprovisioning (AKS owns that CRD: no free IPs in
# `kubectl get aksnodeclass`), applies the example AKSNodeClasses and NodePools and shows the operator's views:
# NodeClassHealth per nodeclass and SubnetHealth per subnet. The stack keeps running for you to
# explore; stop it with hack/local-down.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/local-up.sh --crd upstream
# shellcheck disable=SC1091
source .local/env
echo
echo "\$ kubectl apply -f examples/nodeclasses.yaml"
kubectl apply -f examples/nodeclasses.yaml
echo
echo "\$ kubectl apply -f examples/nodepools.yaml   (Karpenter NodePools: the capacity plan sums their limits per subnet)"
kubectl apply -f examples/nodepools.yaml
total="$(kubectl get aksnodeclass -o name | wc -l)"
echo
echo "waiting for the operator to report on all ${total} nodeclasses..."
for _ in $(seq 1 120); do
  done_count="$(kubectl get aksnodeclass -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="aks-subnet-health.io/SubnetReady")].status}{"\n"}{end}' | grep -c . || true)"
  [[ "$done_count" -ge "$total" ]] && break
  sleep 0.5
done
if [[ "$done_count" -lt "$total" ]]; then
  echo "the operator reported on ${done_count} of ${total} nodeclasses within 60 s; its log (.local/operator.log) ends:" >&2
  tail -20 .local/operator.log >&2
  exit 1
fi
for _ in $(seq 1 120); do
  [[ "$(kubectl get nodeclasshealth -o name | wc -l)" -ge "$total" ]] && break
  sleep 0.5
done
echo
echo "\$ kubectl get aksnodeclass      (AKS's CRD under NAP: Karpenter's READY only)"
kubectl get aksnodeclass
echo
echo "\$ kubectl get nodeclasshealth   (one per AKSNodeClass: subnet, verdict, free IPs, node headroom)"
kubectl get nodeclasshealth
echo
echo "\$ kubectl get subnethealth      (one per subnet in use, with how many nodeclasses draw on it)"
kubectl get subnethealth
echo
echo "\$ kubectl describe aksnodeclass nearly-full   (conditions and events)"
kubectl describe aksnodeclass nearly-full | sed -n '/^Status:/,$p'
echo
for nc in nsg-deny-443 case-mismatch; do
  echo "\$ kubectl get aksnodeclass ${nc}   (why it is not ready, and the fix)"
  kubectl get aksnodeclass "${nc}" -o jsonpath='{range .status.conditions[?(@.status=="False")]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' |
    grep -v '/SubnetReady=' | fold -s -w 120
  echo
done
echo "\$ curl -s \$METRICS_URL | grep nodeclass_connectivity   (one series per check: outbound, nsg, routes, parity)"
curl -s "$METRICS_URL" | grep '^aks_subnet_health_nodeclass_connectivity{nodeclass="nsg-deny-443"' || true
echo
# sed, not head: head would stop reading early and, under pipefail, its SIGPIPE to grep would end the demo
echo "\$ curl -s \$METRICS_URL | grep subnet_ips_available"
curl -s "$METRICS_URL" | grep '^aks_subnet_health_subnet_ips_available' | sed -n '1,8p'
echo
echo "\$ curl -s \$METRICS_URL | grep subnet_ips_needed_at_limits   (the capacity plan: docs/capacity-planning.md)"
curl -s "$METRICS_URL" | grep '^aks_subnet_health_subnet_ips_\(needed\|short\)_at_limits' | sed -n '1,8p' || true
echo
echo "Try: source .local/env; kubectl get aks-subnet-health -o wide; curl -s \$METRICS_URL"
echo "Change Azure under the operator (docs/simulator.md), e.g. fill a subnet:"
echo "  curl -s --cacert \$ARM_SIM_CA_FILE -X POST \$ARM_SIM_URL/_admin/subnets/set-used -d '{\"subnetId\":\"$(kubectl get aksnodeclass nearly-full -o jsonpath='{.spec.vnetSubnetID}')\",\"used\":251}'"
echo "or deny outbound HTTPS on the cluster subnet's NSG (SubnetConnectivity turns False within one resync):"
echo "  curl -s --cacert \$ARM_SIM_CA_FILE -X POST \$ARM_SIM_URL/_admin/network-security-groups/rules/put -d '{\"nsgId\":\"/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-network/providers/Microsoft.Network/networkSecurityGroups/nsg-aks\",\"rule\":{\"name\":\"deny-https\",\"priority\":150,\"direction\":\"Outbound\",\"access\":\"Deny\",\"protocol\":\"Tcp\",\"destinationAddressPrefix\":\"Internet\",\"destinationPortRange\":\"443\"}}'"
echo "Stop everything with: hack/local-down.sh"
