/**
 * Configuration of `aks-subnet-health run`: flags, each with an environment variable, validated once
 * at start. Anything invalid is reported in one message and the process exits 2.
 */
import { Command, Option } from "commander";
import parseDuration from "parse-duration";
import { z } from "zod";
import { parseSubnetId } from "../health/subnet-id.js";
import { cidrProblem, dnsLabelProblem, dnsSubdomainProblem, ipProblem, labelSelectorProblem } from "./validate.js";

/** A string option checked by one of validate.ts's functions; the message names the flag. */
const checked = (flag: string, problem: (v: string) => string | undefined) =>
  z.string().superRefine((v, ctx) => {
    const p = problem(v);
    if (p !== undefined) ctx.addIssue({ code: "custom", message: `${flag}: ${p}` });
  });

export const AZURE_CLOUDS = {
  AzurePublicCloud: { armEndpoint: "https://management.azure.com", authorityHost: "https://login.microsoftonline.com" },
  AzureUSGovernment: {
    armEndpoint: "https://management.usgovcloudapi.net",
    authorityHost: "https://login.microsoftonline.us",
  },
  AzureChinaCloud: {
    armEndpoint: "https://management.chinacloudapi.cn",
    authorityHost: "https://login.chinacloudapi.cn",
  },
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLUSTER_ID =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/]+$/i;

const duration = (name: string) =>
  z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) {
      ctx.addIssue({ code: "custom", message: `${name}: "${v}" is not a duration (e.g. 30s, 3m, 1h)` });
      return z.NEVER;
    }
    return ms;
  });

const ratio = z.coerce.number().min(0).max(1);
const count = z.coerce.number().int().min(0);

const bindAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[0-9a-zA-Z.-]*):\d{1,5}$/, "must be host:port or :port (0 disables)")
  .refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "port must be 0-65535")
  .transform((v) => {
    const i = v.lastIndexOf(":");
    const host = v.slice(0, i).replace(/^\[|\]$/g, "");
    return { host: host === "" ? "0.0.0.0" : host, port: Number(v.slice(i + 1)) };
  });

const csv = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  );

/** An all-zero GUID or CHANGE-ME: a template value nobody filled in (it would override real discovery). */
const PLACEHOLDER = /00000000-0000-0000-0000-000000000000|change-?me/i;
const PLACEHOLDER_FIXES = {
  clusterResourceId: "set it to your cluster's ID (az aks show -g RG -n CLUSTER --query id -o tsv)",
  vnetSubnetId: "unset it to use the cluster's default subnet, or set the subnet's resource ID",
  karpenterPrincipalId: "unset it to check the managed cluster's identity, or set Karpenter's object ID",
  allowedSubscriptions: "unset it to allow any subscription, or list real subscription IDs",
} as const;

export const optionsSchema = z
  .object({
    kubeconfig: z.string().optional(),
    azureCloud: z
      .enum(Object.keys(AZURE_CLOUDS) as [keyof typeof AZURE_CLOUDS, ...Array<keyof typeof AZURE_CLOUDS>])
      .default("AzurePublicCloud"),
    armEndpoint: z.url({ protocol: /^https$/, error: "--arm-endpoint must be an https URL" }).optional(),
    authorityHost: z.url({ protocol: /^https$/ }).optional(),
    armScope: z.string().optional(),
    azureCaFile: z.string().optional(),
    azureTokenFile: z.string().optional(),
    vnetSubnetId: z
      .string()
      .optional()
      .superRefine((v, ctx) => {
        if (v === undefined || v === "") return;
        const parsed = parseSubnetId(v);
        if (!parsed.ok)
          ctx.addIssue({
            code: "custom",
            message: `--vnet-subnet-id / VNET_SUBNET_ID is not a valid subnet ID: ${parsed.error}`,
          });
      }),
    allowedSubscriptions: csv.refine(
      (l) => l.every((s) => GUID.test(s)),
      "--allowed-subscriptions must be subscription GUIDs",
    ),
    clusterResourceId: z
      .string()
      .optional()
      .refine(
        (v) => v === undefined || v === "" || CLUSTER_ID.test(v),
        "--cluster-resource-id must be /subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}",
      ),
    karpenterPrincipalId: z
      .string()
      .optional()
      .refine(
        (v) => v === undefined || v === "" || GUID.test(v),
        "--karpenter-principal-id must be an object ID (GUID)",
      ),
    networkPlugin: z.enum(["azure", "kubenet", "none"]).optional(),
    networkPluginMode: z.enum(["overlay", ""]).optional(),
    networkPolicy: z.enum(["none", "calico", "azure", "cilium", ""]).optional(),
    networkDataplane: z.enum(["azure", "cilium", ""]).optional(),
    podCidr: csv.superRefine((list, ctx) => {
      for (const v of list) {
        const p = cidrProblem(v);
        if (p) ctx.addIssue({ code: "custom", message: `--pod-cidr / POD_CIDR: ${p}` });
      }
    }),
    serviceCidr: csv.superRefine((list, ctx) => {
      for (const v of list) {
        const p = cidrProblem(v);
        if (p) ctx.addIssue({ code: "custom", message: `--service-cidr / SERVICE_CIDR: ${p}` });
      }
    }),
    dnsServiceIp: checked("--dns-service-ip / DNS_SERVICE_IP", ipProblem).optional(),
    loadBalancerSku: z.enum(["standard", "basic"]).optional(),
    outboundType: z
      .enum(["loadBalancer", "managedNATGateway", "userAssignedNATGateway", "userDefinedRouting", "none", "block"])
      .optional(),
    nodeResourceGroup: z
      .string()
      .regex(/^[-\w.()]{0,89}[-\w()]$/, "--node-resource-group must be a resource group name")
      .optional(),
    maxPods: z.coerce.number().int().min(10).max(250).optional(),
    resyncPeriod: duration("--resync-period").default(180_000),
    vnetCacheTtl: duration("--vnet-cache-ttl").optional(),
    accessCacheTtl: duration("--access-cache-ttl").default(600_000),
    statusNumbersMinInterval: duration("--status-numbers-min-interval").default(300_000),
    freeRatioWarning: ratio.default(0.2),
    freeRatioCritical: ratio.default(0.05),
    headroomWarning: count.default(10),
    headroomCritical: count.default(2),
    armReadBucket: z.coerce.number().int().min(1).default(250),
    armReadRefill: z.coerce.number().positive().default(25),
    armConcurrency: z.coerce.number().int().min(1).max(64).default(8),
    armMaxPages: z.coerce.number().int().min(1).max(10_000).default(100),
    armMaxResponseBytes: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .max(1024 * 1024 * 1024)
      .default(32 * 1024 * 1024),
    concurrency: z.coerce.number().int().min(1).max(100).default(10),
    metricsBindAddress: bindAddress.default({ host: "0.0.0.0", port: 8080 }),
    healthProbeBindAddress: bindAddress.default({ host: "0.0.0.0", port: 8081 }),
    leaderElect: z.boolean().default(false),
    leaderElectionNamespace: checked("--leader-election-namespace", dnsLabelProblem).default("aks-subnet-health"),
    leaderElectionId: checked("--leader-election-id", dnsSubdomainProblem).default("aks-subnet-health-leader"),
    podName: z.string().optional(),
    nodeclassSelector: checked("--nodeclass-selector / NODECLASS_SELECTOR", labelSelectorProblem).optional(),
    // the API server accepts a core/v1 Event about a cluster-scoped object only in "default"
    eventsNamespace: checked("--events-namespace", (v) =>
      v === "default"
        ? undefined
        : `${JSON.stringify(v.slice(0, 80))}: Events about AKSNodeClasses (cluster-scoped) can only be recorded in "default"; the API server refuses them elsewhere`,
    ).default("default"),
    shutdownTimeout: duration("--shutdown-timeout").default(20_000),
    logLevel: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
  })
  .superRefine((o, ctx) => {
    for (const [key, fix] of Object.entries(PLACEHOLDER_FIXES)) {
      const v = o[key as keyof typeof PLACEHOLDER_FIXES];
      const values = Array.isArray(v) ? v : v ? [v] : [];
      if (values.some((x) => PLACEHOLDER.test(x))) {
        const spec = FLAGS[key as keyof typeof PLACEHOLDER_FIXES];
        ctx.addIssue({
          code: "custom",
          message: `${spec.flag.split(" ")[0]} / ${spec.env} holds a placeholder (all-zero GUID or CHANGE-ME): ${fix}`,
        });
      }
    }
    if (o.freeRatioCritical > o.freeRatioWarning) {
      ctx.addIssue({ code: "custom", message: "--free-ratio-critical must not exceed --free-ratio-warning" });
    }
    if (o.headroomCritical > o.headroomWarning) {
      ctx.addIssue({ code: "custom", message: "--headroom-critical must not exceed --headroom-warning" });
    }
  });

/** Where each option given came from (for the start-up log of what was resolved). */
export type OptionSources = Partial<Record<keyof z.output<typeof optionsSchema>, "flag" | "environment">>;
export type Options = z.output<typeof optionsSchema> & { sources?: OptionSources };

interface FlagSpec {
  flag: string;
  env: string;
  help: string;
  bool?: boolean;
}

/** Flag, environment variable and help per option; the key is the option's camelCase name. */
export const FLAGS: Record<keyof z.input<typeof optionsSchema>, FlagSpec> = {
  kubeconfig: { flag: "--kubeconfig <path>", env: "KUBECONFIG", help: "kubeconfig file (default: in-cluster)" },
  azureCloud: {
    flag: "--azure-cloud <name>",
    env: "AZURE_CLOUD",
    help: "AzurePublicCloud, AzureUSGovernment or AzureChinaCloud (sets the ARM endpoint and authority host)",
  },
  armEndpoint: {
    flag: "--arm-endpoint <url>",
    env: "ARM_ENDPOINT",
    help: "Azure Resource Manager endpoint (overrides --azure-cloud)",
  },
  authorityHost: {
    flag: "--authority-host <url>",
    env: "AZURE_AUTHORITY_HOST",
    help: "Microsoft Entra authority host (overrides --azure-cloud)",
  },
  armScope: {
    flag: "--arm-scope <scope>",
    env: "ARM_SCOPE",
    help: "token scope for ARM (default: <arm-endpoint>/.default)",
  },
  azureCaFile: {
    flag: "--azure-ca-file <path>",
    env: "AZURE_CA_FILE",
    help: "extra CA bundle trusted for ARM (e.g. the ARM simulator's)",
  },
  azureTokenFile: {
    flag: "--azure-token-file <path>",
    env: "AZURE_TOKEN_FILE",
    help: "read a static ARM bearer token from this file instead of DefaultAzureCredential (simulator, tests)",
  },
  vnetSubnetId: {
    flag: "--vnet-subnet-id <id>",
    env: "VNET_SUBNET_ID",
    help: "the cluster's default subnet, used by nodeclasses without spec.vnetSubnetID",
  },
  allowedSubscriptions: {
    flag: "--allowed-subscriptions <ids>",
    env: "ALLOWED_SUBSCRIPTIONS",
    help: "comma-separated subscription IDs the operator may query (default: any)",
  },
  clusterResourceId: {
    flag: "--cluster-resource-id <id>",
    env: "CLUSTER_RESOURCE_ID",
    help: "the AKS managed cluster: network profile, default subnet and Karpenter identity come from it",
  },
  karpenterPrincipalId: {
    flag: "--karpenter-principal-id <oid>",
    env: "KARPENTER_PRINCIPAL_ID",
    help: "object ID of Karpenter's identity, whose subnet access is checked",
  },
  networkPlugin: {
    flag: "--network-plugin <plugin>",
    env: "NETWORK_PLUGIN",
    help: "azure, kubenet or none (when not read from the managed cluster)",
  },
  networkPluginMode: { flag: "--network-plugin-mode <mode>", env: "NETWORK_PLUGIN_MODE", help: "overlay or empty" },
  networkPolicy: { flag: "--network-policy <policy>", env: "NETWORK_POLICY", help: "none, calico, azure or cilium" },
  networkDataplane: { flag: "--network-dataplane <dataplane>", env: "NETWORK_DATAPLANE", help: "azure or cilium" },
  podCidr: { flag: "--pod-cidr <cidrs>", env: "POD_CIDR", help: "comma-separated pod CIDRs" },
  serviceCidr: { flag: "--service-cidr <cidrs>", env: "SERVICE_CIDR", help: "comma-separated service CIDRs" },
  dnsServiceIp: { flag: "--dns-service-ip <ip>", env: "DNS_SERVICE_IP", help: "cluster DNS service IP" },
  loadBalancerSku: { flag: "--load-balancer-sku <sku>", env: "LOAD_BALANCER_SKU", help: "standard or basic" },
  outboundType: {
    flag: "--outbound-type <type>",
    env: "OUTBOUND_TYPE",
    help: "the cluster's outbound type (loadBalancer, managedNATGateway, userAssignedNATGateway, userDefinedRouting, none, block) when not read from the managed cluster; checks each subnet's outbound path",
  },
  nodeResourceGroup: {
    flag: "--node-resource-group <name>",
    env: "AZURE_NODE_RESOURCE_GROUP",
    help: "the cluster's node resource group (MC_…) when not read from the managed cluster; Karpenter's managed-VNet rule uses it",
  },
  maxPods: {
    flag: "--max-pods <n>",
    env: "MAX_PODS",
    help: "maxPods assumed for nodeclasses without spec.maxPods (default: Karpenter's own: 30 on the Azure CNI node subnet, 250 with overlay or BYO CNI, 110 with kubenet)",
  },
  resyncPeriod: {
    flag: "--resync-period <duration>",
    env: "RESYNC_PERIOD",
    help: "how often every nodeclass is re-evaluated against fresh Azure data (default 3m)",
  },
  vnetCacheTtl: {
    flag: "--vnet-cache-ttl <duration>",
    env: "VNET_CACHE_TTL",
    help: "how long VNet data is reused (default: half the resync period)",
  },
  accessCacheTtl: {
    flag: "--access-cache-ttl <duration>",
    env: "ACCESS_CACHE_TTL",
    help: "how long RBAC data per (principal, subnet) is reused by reconciles between resync passes; each pass re-reads it (default 10m)",
  },
  statusNumbersMinInterval: {
    flag: "--status-numbers-min-interval <duration>",
    env: "STATUS_NUMBERS_MIN_INTERVAL",
    help: "minimum time between status writes that only change numbers (default 5m)",
  },
  freeRatioWarning: {
    flag: "--free-ratio-warning <ratio>",
    env: "FREE_RATIO_WARNING",
    help: "free-IP ratio below which capacity is low (default 0.2)",
  },
  freeRatioCritical: {
    flag: "--free-ratio-critical <ratio>",
    env: "FREE_RATIO_CRITICAL",
    help: "free-IP ratio below which capacity is critical (default 0.05)",
  },
  headroomWarning: {
    flag: "--headroom-warning <nodes>",
    env: "HEADROOM_WARNING",
    help: "node headroom below which capacity is low (default 10)",
  },
  headroomCritical: {
    flag: "--headroom-critical <nodes>",
    env: "HEADROOM_CRITICAL",
    help: "node headroom below which capacity is critical (default 2)",
  },
  armReadBucket: {
    flag: "--arm-read-bucket <n>",
    env: "ARM_READ_BUCKET",
    help: "ARM read token bucket size (default 250, Azure's)",
  },
  armReadRefill: {
    flag: "--arm-read-refill <perSecond>",
    env: "ARM_READ_REFILL",
    help: "ARM read tokens per second (default 25, Azure's)",
  },
  armConcurrency: {
    flag: "--arm-concurrency <n>",
    env: "ARM_CONCURRENCY",
    help: "concurrent ARM requests (default 8)",
  },
  armMaxPages: {
    flag: "--arm-max-pages <n>",
    env: "ARM_MAX_PAGES",
    help: "pages one ARM listing may read before it fails as incomplete (default 100)",
  },
  armMaxResponseBytes: {
    flag: "--arm-max-response-bytes <bytes>",
    env: "ARM_MAX_RESPONSE_BYTES",
    help: "largest ARM response body read, decoded; a larger one fails the call (default 33554432, 32 MiB)",
  },
  concurrency: { flag: "--concurrency <n>", env: "CONCURRENCY", help: "nodeclasses reconciled at once (default 10)" },
  metricsBindAddress: {
    flag: "--metrics-bind-address <addr>",
    env: "METRICS_BIND_ADDRESS",
    help: "host:port of /metrics (default :8080)",
  },
  healthProbeBindAddress: {
    flag: "--health-probe-bind-address <addr>",
    env: "HEALTH_PROBE_BIND_ADDRESS",
    help: "host:port of /healthz and /readyz (default :8081)",
  },
  leaderElect: {
    flag: "--leader-elect",
    env: "LEADER_ELECT",
    help: "elect a leader through a Lease so that only one replica writes",
    bool: true,
  },
  leaderElectionNamespace: {
    flag: "--leader-election-namespace <ns>",
    env: "LEADER_ELECTION_NAMESPACE",
    help: "namespace of the Lease (default aks-subnet-health)",
  },
  leaderElectionId: {
    flag: "--leader-election-id <name>",
    env: "LEADER_ELECTION_ID",
    help: "name of the Lease (default aks-subnet-health-leader)",
  },
  podName: { flag: "--pod-name <name>", env: "POD_NAME", help: "this replica's identity (default: hostname)" },
  nodeclassSelector: {
    flag: "--nodeclass-selector <selector>",
    env: "NODECLASS_SELECTOR",
    help: "label selector limiting which AKSNodeClasses this operator handles (default: all)",
  },
  eventsNamespace: {
    flag: "--events-namespace <ns>",
    env: "EVENTS_NAMESPACE",
    help: "namespace for Events about nodeclasses; the API server accepts Events about cluster-scoped objects only in default (default: default)",
  },
  shutdownTimeout: {
    flag: "--shutdown-timeout <duration>",
    env: "SHUTDOWN_TIMEOUT",
    help: "how long in-flight work may finish after SIGTERM (default 20s)",
  },
  logLevel: { flag: "--log-level <level>", env: "LOG_LEVEL", help: "trace, debug, info, warn or error" },
};

export type OptionKey = keyof typeof FLAGS;

/** The cluster's network plan: flags that override what the managed cluster says, field by field. */
export const NETWORK_OPTION_KEYS = [
  "networkPlugin",
  "networkPluginMode",
  "networkPolicy",
  "networkDataplane",
  "podCidr",
  "serviceCidr",
  "dnsServiceIp",
  "loadBalancerSku",
] as const satisfies readonly OptionKey[];

/**
 * What `check` shares with `run`: how to reach Azure and the cluster, the network plan and the
 * evaluation thresholds. Serving, leader election, resync and throttling of writes are the
 * operator's alone, so `check` neither offers those flags nor reads their environment variables.
 */
export const CHECK_OPTION_KEYS = [
  "kubeconfig",
  "azureCloud",
  "armEndpoint",
  "authorityHost",
  "armScope",
  "azureCaFile",
  "azureTokenFile",
  "vnetSubnetId",
  "allowedSubscriptions",
  "clusterResourceId",
  "karpenterPrincipalId",
  ...NETWORK_OPTION_KEYS,
  "maxPods",
  "freeRatioWarning",
  "freeRatioCritical",
  "headroomWarning",
  "headroomCritical",
  "armReadBucket",
  "armReadRefill",
  "armConcurrency",
  "nodeclassSelector",
  "logLevel",
] as const satisfies readonly OptionKey[];

export function addRunOptions(cmd: Command, keys: readonly OptionKey[] = Object.keys(FLAGS) as OptionKey[]): Command {
  for (const key of keys) {
    const spec = FLAGS[key];
    cmd.addOption(new Option(spec.flag, `${spec.help} [env ${spec.env}]`));
  }
  return cmd;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Flags win over environment variables; empty environment variables count as unset. `keys` limits
 * which options are read at all (a command that does not offer a flag ignores its variable too).
 */
export function resolveOptions(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  keys: readonly OptionKey[] = Object.keys(FLAGS) as OptionKey[],
): Options {
  const raw: Record<string, unknown> = {};
  const sources: Record<string, "flag" | "environment"> = {};
  for (const key of keys) {
    const spec: FlagSpec = FLAGS[key];
    const fromFlag = flags[key];
    const fromEnv = env[spec.env];
    if (fromFlag !== undefined) {
      raw[key] = fromFlag;
      sources[key] = "flag";
    } else if (fromEnv !== undefined && fromEnv !== "") {
      raw[key] = spec.bool ? ["1", "true", "yes"].includes(fromEnv.toLowerCase()) : fromEnv;
      sources[key] = "environment";
    }
  }
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? "");
        const spec = (FLAGS as Record<string, FlagSpec | undefined>)[key];
        const where = spec ? `${spec.flag.split(" ")[0]} / ${spec.env}` : key;
        return i.message.startsWith("--") ? i.message : `${where}: ${i.message}`;
      }),
    );
  }
  return { ...parsed.data, sources };
}

/** ARM endpoint, authority host and token scope after applying the cloud preset. */
export function azureEndpoints(o: Options): { armEndpoint: string; authorityHost: string; armScope: string } {
  const cloud = AZURE_CLOUDS[o.azureCloud];
  const armEndpoint = (o.armEndpoint ?? cloud.armEndpoint).replace(/\/+$/, "");
  return {
    armEndpoint,
    authorityHost: o.authorityHost ?? cloud.authorityHost,
    armScope: o.armScope ?? `${o.armEndpoint ? cloud.armEndpoint : armEndpoint}/.default`,
  };
}
