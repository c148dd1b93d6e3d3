// The service's HTTP API as the playground uses it (same origin; an API key when the service
// asks for one).

const KEY_STORAGE = "autograd.apiKey";

export class Problem extends Error {
  // An RFC 9457 problem from the service (or a network failure, code "network_error").
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.code = body.code || "error";
  }
}

export function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

export async function call(method, path, body, { accept = "application/json" } = {}) {
  const headers = { Accept: accept };
  const key = apiKey();
  if (key) headers["X-API-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let reply;
  try {
    reply = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new Problem(0, { code: "network_error", title: "No connection", detail: String(error) });
  }
  if (reply.status === 204) return null;
  const type = reply.headers.get("content-type") || "";
  const data = type.includes("json") ? await reply.json() : await reply.text();
  if (!reply.ok) {
    throw new Problem(reply.status, typeof data === "object" ? data : { detail: data });
  }
  return data;
}

export const createSession = (seed) => call("POST", "/v1/sessions", { seed });
export const getSession = (id) => call("GET", `/v1/sessions/${id}`);
export const deleteSession = (id) => call("DELETE", `/v1/sessions/${id}`);
export const runSource = (id, source) => call("POST", `/v1/sessions/${id}/run`, { source });
export const graphDot = (id, name) =>
  call("GET", `/v1/sessions/${id}/graph/${encodeURIComponent(name)}?format=dot`, undefined,
    { accept: "text/vnd.graphviz" });
export const evaluate = (body) => call("POST", "/v1/evaluate", body);
