/** Test helpers: RestErrors shaped like the SDKs raise them for Azure's error bodies (ARM's documented error responses). */
import { RestError, createHttpHeaders, createPipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";

export function azureError(
  status: number,
  code: string | undefined,
  message: string,
  headers: Record<string, string> = {},
): RestError {
  const request = createPipelineRequest({ url: "https://management.azure.com/x" });
  const response: PipelineResponse = { status, headers: createHttpHeaders(headers), request };
  return new RestError(message, { statusCode: status, ...(code ? { code } : {}), request, response });
}

export function networkError(code: string, message = `connect ${code} 127.0.0.1:443`): RestError {
  return new RestError(message, { code });
}
