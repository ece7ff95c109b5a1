/**
 * Node objects shaped like the nodes Karpenter / NAP creates on AKS: about 45 labels, a dozen
 * annotations, 14 conditions (kubelet's five plus node-problem-detector's), about 60 container images
 * and the usual capacity, addresses and nodeInfo — about 15 KB of JSON each, which is what makes a
 * 5,000-node LIST heavy. Written from the shape of `kubectl get node -o json` on AKS (field names
 * from the Kubernetes API reference); values are synthetic and deterministic in `index`.
 *
 * Used by the scale test and the benchmark; nothing here is read by the operator itself.
 */
import { createHash } from "node:crypto";
import { Agent, request, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { NODECLASS_LABEL } from "../../src/domain.js";

export interface AksNodeOptions {
  /** the AKSNodeClass the node belongs to (Karpenter's label) */
  nodeclass: string;
  /** the node's InternalIP */
  internalIP: string;
  /** extra labels (e.g. a test run's label, so cleanup can select the nodes) */
  labels?: Record<string, string>;
  /** number of container images in status.images (AKS nodes carry 50–70) */
  images?: number;
}

const IMAGE_REPOS = [
  "mcr.microsoft.com/oss/kubernetes/kube-proxy",
  "mcr.microsoft.com/oss/csi/azuredisk-csi",
  "mcr.microsoft.com/oss/csi/azurefile-csi",
  "mcr.microsoft.com/oss/csi/csi-node-driver-registrar",
  "mcr.microsoft.com/oss/csi/livenessprobe",
  "mcr.microsoft.com/oss/csi/blob-csi",
  "mcr.microsoft.com/oss/cilium/cilium",
  "mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager",
  "mcr.microsoft.com/oss/kubernetes/pause",
  "mcr.microsoft.com/containernetworking/azure-cns",
  "mcr.microsoft.com/containernetworking/azure-ip-masq-merger",
  "mcr.microsoft.com/containernetworking/cni-dropgz",
  "mcr.microsoft.com/aks/ip-masq-agent-v2",
  "mcr.microsoft.com/oss/kubernetes/apiserver-network-proxy/agent",
  "mcr.microsoft.com/azuremonitor/containerinsights/ciprod",
  "mcr.microsoft.com/oss/v2/kubernetes/coredns",
  "mcr.microsoft.com/oss/kubernetes/autoscaler/cluster-proportional-autoscaler",
  "mcr.microsoft.com/oss/kubernetes/metrics-server",
  "mcr.microsoft.com/oss/kubernetes/kube-state-metrics",
  "mcr.microsoft.com/aks/hcp/hcp-tunnel-front",
];

function hex(seed: string, len: number): string {
  let out = "";
  for (let i = 0; out.length < len; i++) out += createHash("sha256").update(`${seed}/${i}`).digest("hex");
  return out.slice(0, len);
}

const CONDITIONS: Array<[type: string, status: string, reason: string, message: string]> = [
  ["FrequentContainerdRestart", "False", "NoFrequentContainerdRestart", "containerd is functioning properly"],
  ["FilesystemCorruptionProblem", "False", "FilesystemIsOK", "Filesystem is healthy"],
  ["KernelDeadlock", "False", "KernelHasNoDeadlock", "kernel has no deadlock"],
  ["ReadonlyFilesystem", "False", "FilesystemIsNotReadOnly", "Filesystem is not read-only"],
  ["FrequentUnregisterNetDevice", "False", "NoFrequentUnregisterNetDevice", "node is functioning properly"],
  ["KubeletProblem", "False", "KubeletIsUp", "kubelet service is up"],
  ["ContainerRuntimeProblem", "False", "ContainerRuntimeIsUp", "container runtime service is up"],
  ["FrequentKubeletRestart", "False", "NoFrequentKubeletRestart", "kubelet is functioning properly"],
  ["VMEventScheduled", "False", "NoVMEventScheduled", "VM has no scheduled event"],
  ["NetworkUnavailable", "False", "RouteCreated", "RouteController created a route"],
  ["MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"],
  ["DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"],
  ["PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"],
  ["Ready", "True", "KubeletReady", "kubelet is posting ready status"],
];

/** The node's name: like NAP's `aks-<nodepool>-<suffix>`. */
export function aksNodeName(prefix: string, index: number): string {
  return `aks-${prefix}-${hex(`${prefix}${index}`, 5)}-${index}`;
}

/** One AKS-shaped Node object (as a plain object ready to POST). */
export function aksNode(name: string, index: number, o: AksNodeOptions): Record<string, unknown> {
  const zone = (index % 3) + 1;
  const vmId = `${hex(`vm${name}`, 8)}-${hex(`vm2${name}`, 4)}-${hex(`vm3${name}`, 4)}-${hex(`vm4${name}`, 4)}-${hex(`vm5${name}`, 12)}`;
  const t = "2026-11-29T10:00:00Z";
  const instanceType = "Standard_D4ds_v5";
  const nodepool = "general-purpose";
  const labels: Record<string, string> = {
    agentpool: nodepool,
    "beta.kubernetes.io/arch": "amd64",
    "beta.kubernetes.io/instance-type": instanceType,
    "beta.kubernetes.io/os": "linux",
    "failure-domain.beta.kubernetes.io/region": "westeurope",
    "failure-domain.beta.kubernetes.io/zone": `westeurope-${zone}`,
    "karpenter.azure.com/sku-cpu": "4",
    "karpenter.azure.com/sku-family": "D",
    "karpenter.azure.com/sku-memory": "16384",
    "karpenter.azure.com/sku-name": instanceType,
    "karpenter.azure.com/sku-networking-accelerated": "true",
    "karpenter.azure.com/sku-storage-ephemeralos-maxsize": "150",
    "karpenter.azure.com/sku-storage-premium-capable": "true",
    "karpenter.azure.com/sku-version": "5",
    "karpenter.sh/capacity-type": index % 4 === 0 ? "spot" : "on-demand",
    "karpenter.sh/initialized": "true",
    "karpenter.sh/nodepool": nodepool,
    "karpenter.sh/registered": "true",
    "kubernetes.azure.com/agentpool": nodepool,
    "kubernetes.azure.com/azure-cni-overlay": "true",
    "kubernetes.azure.com/cluster": "MC_rg-prod_aks-prod_westeurope",
    "kubernetes.azure.com/consolidated-additional-properties": hex(`cap${index}`, 40),
    "kubernetes.azure.com/ebpf-dataplane": "cilium",
    "kubernetes.azure.com/kubelet-identity-client-id": `${hex("kic", 8)}-${hex("kic2", 4)}-${hex("kic3", 4)}-${hex("kic4", 4)}-${hex("kic5", 12)}`,
    "kubernetes.azure.com/mode": "user",
    "kubernetes.azure.com/network-name": "aks-vnet-12345678",
    "kubernetes.azure.com/network-policy": "cilium",
    "kubernetes.azure.com/network-resourcegroup": "rg-network",
    "kubernetes.azure.com/network-subnet": "aks-subnet",
    "kubernetes.azure.com/network-subscription": "00000000-0000-0000-0000-000000000000",
    "kubernetes.azure.com/node-image-version": "AKSUbuntu-2204gen2containerd-202611.10.0",
    "kubernetes.azure.com/nodenetwork-vnetguid": `${hex("vg", 8)}-${hex("vg2", 4)}-${hex("vg3", 4)}-${hex("vg4", 4)}-${hex("vg5", 12)}`,
    "kubernetes.azure.com/os-sku": "Ubuntu",
    "kubernetes.azure.com/podnetwork-type": "overlay",
    "kubernetes.azure.com/role": "agent",
    "kubernetes.azure.com/storageprofile": "managed",
    "kubernetes.azure.com/storagetier": "Premium_LRS",
    "kubernetes.io/arch": "amd64",
    "kubernetes.io/hostname": name,
    "kubernetes.io/os": "linux",
    "node.kubernetes.io/instance-type": instanceType,
    storageprofile: "managed",
    storagetier: "Premium_LRS",
    "topology.disk.csi.azure.com/zone": `westeurope-${zone}`,
    "topology.kubernetes.io/region": "westeurope",
    "topology.kubernetes.io/zone": `westeurope-${zone}`,
    [NODECLASS_LABEL]: o.nodeclass,
    ...o.labels,
  };
  const annotations: Record<string, string> = {
    "alpha.kubernetes.io/provided-node-ip": o.internalIP,
    "csi.volume.kubernetes.io/nodeid": JSON.stringify({
      "blob.csi.azure.com": name,
      "disk.csi.azure.com": name,
      "file.csi.azure.com": name,
    }),
    "karpenter.azure.com/tags-hash": hex(`tags${index}`, 16),
    "karpenter.sh/nodepool-hash": hex("nph", 16),
    "karpenter.sh/nodepool-hash-version": "v3",
    "node.alpha.kubernetes.io/ttl": "0",
    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    "kubernetes.azure.com/node-image-sku": "2204gen2containerd",
    "network.cilium.io/ipv4-cilium-host": `10.244.${index % 256}.${(index >> 8) % 256}`,
    "network.cilium.io/ipv4-health-ip": `10.244.${index % 256}.${((index >> 8) + 1) % 256}`,
    "network.cilium.io/ipv4-pod-cidr": `10.244.${index % 256}.0/24`,
  };
  const imageCount = o.images ?? 60;
  const images = Array.from({ length: imageCount }, (_, i) => {
    const repo = IMAGE_REPOS[i % IMAGE_REPOS.length] ?? "mcr.microsoft.com/x";
    const tag = `v1.${30 + (i % 7)}.${i}`;
    return {
      // images pulled by digest alone carry one name, the others their tag as well
      names:
        i % 3 === 0
          ? [`${repo}@sha256:${hex(`img${i}`, 64)}`, `${repo}:${tag}`]
          : [`${repo}@sha256:${hex(`img${i}`, 64)}`],
      sizeBytes: 10_000_000 + i * 1_234_567,
    };
  });
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels,
      annotations,
      // Karpenter's termination finalizer is left out: with no Karpenter to remove it, fixtures could never be deleted
    },
    spec: {
      providerID: `azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_rg-prod_aks-prod_westeurope/providers/Microsoft.Compute/virtualMachines/${name}`,
      podCIDR: `10.244.${index % 256}.0/24`,
      podCIDRs: [`10.244.${index % 256}.0/24`],
      taints:
        index % 4 === 0 ? [{ key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" }] : [],
    },
    status: {
      capacity: {
        cpu: "4",
        "ephemeral-storage": "129886128Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        memory: "16375824Ki",
        pods: "250",
      },
      allocatable: {
        cpu: "3860m",
        "ephemeral-storage": "119703055367",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        memory: "12899856Ki",
        pods: "250",
      },
      conditions: CONDITIONS.map(([type, status, reason, message]) => ({
        type,
        status,
        lastHeartbeatTime: t,
        lastTransitionTime: t,
        reason,
        message,
      })),
      addresses: [
        { type: "InternalIP", address: o.internalIP },
        { type: "Hostname", address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: hex(`mid${name}`, 32),
        systemUUID: vmId,
        bootID: `${hex(`b${name}`, 8)}-${hex(`b2${name}`, 4)}-${hex(`b3${name}`, 4)}-${hex(`b4${name}`, 4)}-${hex(`b5${name}`, 12)}`,
        kernelVersion: "5.15.0-1075-azure",
        osImage: "Ubuntu 22.04.5 LTS",
        containerRuntimeVersion: "containerd://1.7.23-1",
        kubeletVersion: "v1.31.2",
        kubeProxyVersion: "v1.31.2",
        operatingSystem: "linux",
        architecture: "amd64",
      },
      images,
      volumesInUse: [],
    },
  };
}

/** `count` nodes spread round-robin over `nodeclasses`, InternalIPs from 10.<a>.<b>.<c> upwards. */
export function aksNodes(
  prefix: string,
  count: number,
  nodeclasses: readonly string[],
  opts: { labels?: Record<string, string>; ipFor?: (index: number, nodeclass: string) => string } = {},
): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => {
    const nodeclass = nodeclasses[i % nodeclasses.length] ?? "default";
    const ip = opts.ipFor?.(i, nodeclass) ?? `10.${16 + ((i >> 16) & 0xff)}.${(i >> 8) & 0xff}.${i & 0xff}`;
    return aksNode(aksNodeName(prefix, i), i, {
      nodeclass,
      internalIP: ip,
      ...(opts.labels ? { labels: opts.labels } : {}),
    });
  });
}

/**
 * POSTs nodes as raw JSON over kept-alive connections, `concurrency` at a time: client-node's typed
 * client serializes every field of a 15 KB object and opens a connection per call, which made creating
 * 5,000 nodes take minutes.
 */
export async function createNodesRaw(
  kc: KubeConfig,
  nodes: ReadonlyArray<Record<string, unknown>> | { count: number; make: (i: number) => Record<string, unknown> },
  concurrency = 32,
): Promise<void> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const url = new URL("/api/v1/nodes", cluster.server);
  const base: RequestOptions = {};
  await kc.applyToHTTPSOptions(base);
  const agent = new Agent({ ...(base as object), keepAlive: true, maxSockets: concurrency });
  const count = "count" in nodes ? nodes.count : nodes.length;
  const make = "count" in nodes ? nodes.make : (i: number): Record<string, unknown> => nodes[i] ?? {};
  const post = (body: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          ...base,
          agent,
          method: "POST",
          headers: {
            ...(base.headers ?? {}),
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () =>
            res.statusCode === 201 || res.statusCode === 409
              ? resolve()
              : reject(new Error(`POST node: ${res.statusCode} ${text.slice(0, 300)}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, async () => {
        while (next < count) await post(JSON.stringify(make(next++)));
      }),
    );
  } finally {
    agent.destroy();
  }
}
