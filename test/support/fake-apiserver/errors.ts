// API errors as the real server words them: client code matches on `reason`
// and `code`, people read `message`, so both follow apimachinery's
// k8s.io/apimachinery/pkg/api/errors constructors.

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason: string; message: string; field: string }>;
}

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(readonly status: StatusBody) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.name = "ApiError";
  }
  get code(): number {
    return this.status.code;
  }
}

/** "nodes" for the core group, "bgppeers.bgp.flatroute.io" otherwise (schema.GroupResource.String()). */
export function qualified(group: string, resource: string): string {
  return group === "" ? resource : `${resource}.${group}`;
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  const body: StatusBody = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    code,
  };
  if (reason !== "") body.reason = reason;
  if (details !== undefined) body.details = details;
  return new ApiError(body);
}

function details(group: string, kind: string, name: string): StatusDetails {
  const d: StatusDetails = {};
  if (name !== "") d.name = name;
  if (group !== "") d.group = group;
  d.kind = kind;
  return d;
}

export function notFound(group: string, resource: string, name: string): ApiError {
  return failure(
    404,
    "NotFound",
    `${qualified(group, resource)} "${name}" not found`,
    details(group, resource, name),
  );
}

/** What an unknown path (or a custom resource without its CRD) answers. */
export function pathNotFound(): ApiError {
  return failure(404, "NotFound", "the server could not find the requested resource", {});
}

export function alreadyExists(group: string, resource: string, name: string): ApiError {
  return failure(
    409,
    "AlreadyExists",
    `${qualified(group, resource)} "${name}" already exists`,
    details(group, resource, name),
  );
}

export function conflict(group: string, resource: string, name: string, why?: string): ApiError {
  const reason =
    why ?? "the object has been modified; please apply your changes to the latest version and try again";
  return failure(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${reason}`,
    details(group, resource, name),
  );
}

export interface FieldProblem {
  field: string;
  /** e.g. `Invalid value: 0x0: must be specified for an update` or `Required value: ...`. */
  detail: string;
  reason?: string;
}

/** 422 as field.ErrorList renders it: `Kind.group "name" is invalid: field: detail`. */
export function invalid(group: string, kind: string, name: string, problems: FieldProblem[]): ApiError {
  const what = group === "" ? kind : `${kind}.${group}`;
  const list = problems.map((p) => `${p.field}: ${p.detail}`);
  const joined = list.length === 1 ? list[0] : `[${list.join(", ")}]`;
  const d = details(group, kind, name);
  d.causes = problems.map((p) => ({
    reason: p.reason ?? "FieldValueInvalid",
    message: p.detail,
    field: p.field,
  }));
  return failure(422, "Invalid", `${what} "${name}" is invalid: ${joined}`, d);
}

export function badRequest(message: string): ApiError {
  return failure(400, "BadRequest", message);
}

export function unauthorized(): ApiError {
  return failure(401, "Unauthorized", "Unauthorized");
}

export function forbidden(group: string, resource: string, name: string, message: string): ApiError {
  const subject = name === "" ? qualified(group, resource) : `${qualified(group, resource)} "${name}"`;
  return failure(403, "Forbidden", `${subject} is forbidden: ${message}`, details(group, resource, name));
}

export function methodNotAllowed(): ApiError {
  return failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

export function unsupportedMediaType(accepted: string[]): ApiError {
  return failure(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
  );
}

export function notAcceptable(): ApiError {
  return failure(
    406,
    "NotAcceptable",
    "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
  );
}

/** The object a watch sends (as an ERROR event) when asked to resume from a forgotten resourceVersion. */
export function expired(requested: string, oldest: number): ApiError {
  return failure(410, "Expired", `too old resource version: ${requested} (${oldest})`);
}

export function internal(message: string): ApiError {
  return failure(500, "InternalError", `Internal error occurred: ${message}`);
}

export function successStatus(
  group: string,
  resource: string,
  name: string,
  uid: string | undefined,
): JsonStatus {
  const d = details(group, resource, name);
  if (uid !== undefined) d.uid = uid;
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: d };
}

export interface JsonStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success";
  details: StatusDetails;
}
