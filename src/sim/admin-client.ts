/**
 * Typed client for the simulator's admin API. Uses node:https with the simulator's CA, so it
 * needs no global TLS settings and no extra packages.
 */
import { request } from "node:https";
import type { Counters, RequestLogEntry } from "./counters.js";
import type { FaultSpec, FaultStatus } from "./faults.js";
import type { BucketConfig } from "./throttle.js";
import type {
  DenyAssignmentInput,
  NatGatewayInput,
  NetworkSecurityGroupInput,
  RoleAssignmentInput,
  RouteTableInput,
  SecurityRuleInput,
  SubnetInput,
  Topology,
} from "./topology.js";
import type { SubnetUsageInfo } from "./admin.js";

export type { Counters, FaultSpec, FaultStatus, RequestLogEntry, SubnetUsageInfo, BucketConfig };

/** Subnet properties for putSubnet: the topology's subnet fields without the name. */
export type SubnetProps = Omit<SubnetInput, "name">;

export class SimAdminError extends Error {
  readonly status: number;
  readonly operation: string;
  constructor(operation: string, status: number, message: string) {
    super(`simulator admin ${operation} failed (${status}): ${message}`);
    this.name = "SimAdminError";
    this.status = status;
    this.operation = operation;
  }
}

export class SimAdminClient {
  readonly url: string;
  private readonly ca: string;

  constructor(url: string, caPem: string) {
    this.url = url.replace(/\/+$/, "");
    this.ca = caPem;
  }

  private call<T>(operation: string, method: string, path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        `${this.url}/_admin${path}`,
        {
          method,
          ca: this.ca,
          agent: false,
          headers:
            text === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const raw = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown;
            try {
              parsed = raw === "" ? undefined : JSON.parse(raw);
            } catch {
              reject(new SimAdminError(operation, res.statusCode ?? 0, `non-JSON response: ${raw.slice(0, 200)}`));
              return;
            }
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              const msg =
                typeof parsed === "object" &&
                parsed !== null &&
                "error" in parsed &&
                typeof parsed.error === "object" &&
                parsed.error !== null &&
                "message" in parsed.error
                  ? String(parsed.error.message)
                  : raw;
              reject(new SimAdminError(operation, status, msg));
              return;
            }
            resolve(parsed as T);
          });
        },
      );
      req.on("error", (err) => reject(new SimAdminError(operation, 0, err.message)));
      if (text !== undefined) req.write(text);
      req.end();
    });
  }

  health(): Promise<{ ok: boolean }> {
    return this.call("health", "GET", "/health");
  }

  setUsedIPs(subnetId: string, used: number): Promise<SubnetUsageInfo> {
    return this.call("setUsedIPs", "POST", "/subnets/set-used", { subnetId, used });
  }

  /** Uses n more IPs (clamped at the subnet's usable size). */
  consumeIPs(subnetId: string, n: number): Promise<SubnetUsageInfo> {
    return this.call("consumeIPs", "POST", "/subnets/consume", { subnetId, n });
  }

  freeIPs(subnetId: string, n: number): Promise<SubnetUsageInfo> {
    return this.call("freeIPs", "POST", "/subnets/free", { subnetId, n });
  }

  async deleteSubnet(subnetId: string): Promise<void> {
    await this.call("deleteSubnet", "POST", "/subnets/delete", { subnetId });
  }

  /** Creates or replaces a subnet (the VNet must exist). */
  putSubnet(subnetId: string, props: SubnetProps): Promise<SubnetUsageInfo> {
    return this.call("putSubnet", "POST", "/subnets/put", { subnetId, properties: props });
  }

  /** One prefix → addressPrefix; several → addressPrefixes. */
  setSubnetPrefixes(subnetId: string, prefixes: string[]): Promise<SubnetUsageInfo> {
    return this.call("setSubnetPrefixes", "POST", "/subnets/set-prefixes", { subnetId, prefixes });
  }

  /**
   * Sets or removes (null) the subnet's NSG, route table and NAT gateway; fields left out stay as they are.
   */
  associateSubnet(
    subnetId: string,
    links: { networkSecurityGroupId?: string | null; routeTableId?: string | null; natGatewayId?: string | null },
  ): Promise<{ networkSecurityGroupId: string | null; routeTableId: string | null; natGatewayId: string | null }> {
    return this.call("associateSubnet", "POST", "/subnets/associate", { subnetId, ...links });
  }

  /** Creates or replaces a network security group (custom rules only; Azure's defaults are always there). */
  async putNetworkSecurityGroup(id: string, nsg: Omit<NetworkSecurityGroupInput, "name"> = {}): Promise<void> {
    await this.call("putNetworkSecurityGroup", "POST", "/network-security-groups/put", { id, ...nsg });
  }

  /** Adds or replaces one security rule (by name) of an NSG. */
  async putSecurityRule(nsgId: string, rule: SecurityRuleInput): Promise<void> {
    await this.call("putSecurityRule", "POST", "/network-security-groups/rules/put", { nsgId, rule });
  }

  async deleteSecurityRule(nsgId: string, name: string): Promise<void> {
    await this.call("deleteSecurityRule", "POST", "/network-security-groups/rules/delete", { nsgId, name });
  }

  async putRouteTable(id: string, table: Omit<RouteTableInput, "name"> = {}): Promise<void> {
    await this.call("putRouteTable", "POST", "/route-tables/put", { id, ...table });
  }

  async putNatGateway(id: string, nat: Omit<NatGatewayInput, "name"> = {}): Promise<void> {
    await this.call("putNatGateway", "POST", "/nat-gateways/put", { id, ...nat });
  }

  /** Deletes an NSG, route table or NAT gateway (subnets keep pointing at it, as after an out-of-band delete). */
  async deleteNetworkResource(id: string): Promise<void> {
    await this.call("deleteNetworkResource", "POST", "/network-resources/delete", { id });
  }

  async deleteVNet(id: string): Promise<void> {
    await this.call("deleteVNet", "POST", "/vnets/delete", { id });
  }

  async deleteResourceGroup(id: string): Promise<void> {
    await this.call("deleteResourceGroup", "POST", "/resource-groups/delete", { id });
  }

  /** Returns the new assignment's full ID. */
  async addRoleAssignment(a: RoleAssignmentInput): Promise<string> {
    const r = await this.call<{ id: string }>("addRoleAssignment", "POST", "/role-assignments/add", a);
    return r.id;
  }

  /** By full ID or GUID name. */
  async removeRoleAssignment(id: string): Promise<void> {
    await this.call("removeRoleAssignment", "POST", "/role-assignments/remove", { id });
  }

  async addDenyAssignment(d: DenyAssignmentInput): Promise<string> {
    const r = await this.call<{ id: string }>("addDenyAssignment", "POST", "/deny-assignments/add", d);
    return r.id;
  }

  async removeDenyAssignment(id: string): Promise<void> {
    await this.call("removeDenyAssignment", "POST", "/deny-assignments/remove", { id });
  }

  /**
   * JSON merge patch on the cluster, in the SDK's flattened shape (`{ networkProfile: {...} }`
   * patches properties.networkProfile; identity/location/tags patch the top). null deletes a field.
   */
  async patchManagedCluster(id: string, partial: Record<string, unknown>): Promise<void> {
    await this.call("patchManagedCluster", "POST", "/managed-clusters/patch", { id, patch: partial });
  }

  setFaults(faults: FaultSpec[]): Promise<FaultStatus[]> {
    return this.call("setFaults", "PUT", "/faults", { faults });
  }

  faults(): Promise<FaultStatus[]> {
    return this.call("faults", "GET", "/faults");
  }

  async clearFaults(): Promise<void> {
    await this.call("clearFaults", "DELETE", "/faults");
  }

  counters(): Promise<Counters> {
    return this.call("counters", "GET", "/counters");
  }

  async resetCounters(): Promise<void> {
    await this.call("resetCounters", "POST", "/counters/reset");
  }

  /** The last 1000 ARM requests (not admin ones), oldest first. */
  requests(): Promise<RequestLogEntry[]> {
    return this.call("requests", "GET", "/requests");
  }

  /** YAML text or a topology object; the whole world is replaced (counters, faults, buckets kept). */
  async replaceTopology(yamlOrObject: string | Topology): Promise<void> {
    await this.call(
      "replaceTopology",
      "PUT",
      "/topology",
      typeof yamlOrObject === "string" ? { yaml: yamlOrObject } : { topology: yamlOrObject },
    );
  }

  /** New read limits; every caller's bucket starts full. */
  setReadBucket(config: BucketConfig): Promise<BucketConfig> {
    return this.call("setReadBucket", "PUT", "/read-bucket", config);
  }

  setPageSize(pageSize: number): Promise<{ pageSize: number }> {
    return this.call("setPageSize", "PUT", "/page-size", { pageSize });
  }
}
