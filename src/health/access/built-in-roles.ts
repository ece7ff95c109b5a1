/**
 * Azure's built-in roles this project reasons about, with their real GUIDs (the same in every tenant)
 * and permissions (Azure's built-in roles reference). One copy: the evaluator classifies setups by these GUIDs, and
 * the ARM simulator serves these definitions.
 */
export const NETWORK_CONTRIBUTOR_ROLE_ID = "4d97b98b-1d4f-4787-a291-c67834d212e7";
export const READER_ROLE_ID = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
export const OWNER_ROLE_ID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
export const CONTRIBUTOR_ROLE_ID = "b24988ac-6180-42a0-ab88-20f7382dd24c";

export interface BuiltInRole {
  /** the role's GUID */
  name: string;
  roleName: string;
  description: string;
  actions: string[];
  notActions: string[];
}

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  {
    name: NETWORK_CONTRIBUTOR_ROLE_ID,
    roleName: "Network Contributor",
    description: "Lets you manage networks, but not access to them.",
    actions: [
      "Microsoft.Authorization/*/read",
      "Microsoft.Insights/alertRules/*",
      "Microsoft.Network/*",
      "Microsoft.ResourceHealth/availabilityStatuses/read",
      "Microsoft.Resources/deployments/*",
      "Microsoft.Resources/subscriptions/resourceGroups/read",
      "Microsoft.Support/*",
    ],
    notActions: [],
  },
  {
    name: READER_ROLE_ID,
    roleName: "Reader",
    description: "View all resources, but does not allow you to make any changes.",
    actions: ["*/read"],
    notActions: [],
  },
  {
    name: OWNER_ROLE_ID,
    roleName: "Owner",
    description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    actions: ["*"],
    notActions: [],
  },
  {
    name: CONTRIBUTOR_ROLE_ID,
    roleName: "Contributor",
    description:
      "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
    actions: ["*"],
    notActions: [
      "Microsoft.Authorization/*/Delete",
      "Microsoft.Authorization/*/Write",
      "Microsoft.Authorization/elevateAccess/Action",
      "Microsoft.Blueprint/blueprintAssignments/write",
      "Microsoft.Blueprint/blueprintAssignments/delete",
      "Microsoft.Compute/galleries/share/action",
      "Microsoft.Purview/consents/write",
      "Microsoft.Purview/consents/delete",
      "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
      "Microsoft.Subscription/cancel/action",
      "Microsoft.Subscription/enable/action",
    ],
  },
];
