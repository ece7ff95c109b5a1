/**
 * ARM error responses with Azure's codes, messages and headers (ARM's documented error responses). Callers'
 * code branches on `error.code`, so these strings are the contract.
 */
export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  readonly details: unknown[] | undefined;
  constructor(
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
    details?: unknown[],
  ) {
    super(message);
    this.name = "ArmError";
    this.status = status;
    this.code = code;
    this.headers = headers;
    this.details = details;
  }

  body(): { error: { code: string; message: string; details?: unknown[] } } {
    const error: { code: string; message: string; details?: unknown[] } = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

const GATEWAY = { "x-ms-failure-cause": "gateway" };
const NOT_FOUND_FIX = "For more details please go to https://aka.ms/ARMResourceNotFoundFix";

/** Network RP's form for a missing child resource (subnet). */
export function subnetNotFound(subnetId: string): ArmError {
  return new ArmError(404, "NotFound", `Resource ${subnetId} not found.`, {}, []);
}

/** ARM's form for a missing top-level resource (VNet, managed cluster). */
export function resourceNotFound(type: string, name: string, resourceGroup: string): ArmError {
  return new ArmError(
    404,
    "ResourceNotFound",
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. ${NOT_FOUND_FIX}`,
    GATEWAY,
  );
}

export function resourceGroupNotFound(resourceGroup: string): ArmError {
  return new ArmError(404, "ResourceGroupNotFound", `Resource group '${resourceGroup}' could not be found.`, GATEWAY);
}

export function subscriptionNotFound(subscriptionId: string): ArmError {
  return new ArmError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`, GATEWAY);
}

export function authorizationFailed(clientId: string, objectId: string, action: string, scope: string): ArmError {
  return new ArmError(
    403,
    "AuthorizationFailed",
    `The client '${clientId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    GATEWAY,
  );
}

export function invalidAuthenticationToken(tenantId: string, detail: string): ArmError {
  return new ArmError(401, "InvalidAuthenticationToken", `The access token is invalid. ${detail}`.trim(), {
    "www-authenticate": `Bearer authorization_uri="https://login.microsoftonline.com/${tenantId}", error="invalid_token", error_description="The access token is invalid."`,
  });
}

export function subscriptionThrottled(subscriptionId: string, objectId: string, retryAfterSeconds: number): ArmError {
  return new ArmError(
    429,
    "SubscriptionRequestsThrottled",
    `Number of 'read' requests for subscription '${subscriptionId}' actor '${objectId}' exceeded. Please try again after '${retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
    { "retry-after": String(retryAfterSeconds) },
  );
}

export function internalServerError(requestId: string): ArmError {
  return new ArmError(
    500,
    "InternalServerError",
    `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}', tracking id '${requestId}', request correlation id '${requestId}'.`,
  );
}

export function roleDefinitionNotFound(guid: string): ArmError {
  return new ArmError(
    404,
    "RoleDefinitionDoesNotExist",
    `The specified role definition with ID '${guid}' does not exist.`,
  );
}

export function badRequest(code: string, message: string): ArmError {
  return new ArmError(400, code, message);
}
