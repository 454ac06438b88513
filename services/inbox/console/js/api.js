// The JSON API, same origin as the page. The session is the HttpOnly cookie set at sign-in (the token
// is never kept by the page); a request that changes something echoes the readable hub_csrf cookie.

import { currentLanguage } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, problem, retryAfter = 0) {
    super(problem && problem.detail ? problem.detail : `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = retryAfter;  // seconds, from a 429's Retry-After
  }
}

let onUnauthorized = () => {};
export function whenSignedOut(callback) {
  onUnauthorized = callback;
}

export function csrfToken() {
  const found = document.cookie.split("; ").find((part) => part.startsWith("hub_csrf="));
  return found ? decodeURIComponent(found.slice("hub_csrf=".length)) : "";
}

export async function api(method, path, body, options = {}) {
  // Problems (errors) are then answered in the console's language.
  const headers = { Accept: "application/json", "Accept-Language": currentLanguage() };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (options.signal) init.signal = options.signal;
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    if (response.status === 401 && !options.quiet) onUnauthorized();
    const retryAfter = Number(response.headers.get("Retry-After")) || 0;
    throw new ApiError(response.status, typeof data === "object" ? data : { detail: data }, retryAfter);
  }
  return data;
}

export const get = (path, options) => api("GET", path, undefined, options);
export const post = (path, body, options) => api("POST", path, body === undefined ? {} : body, options);
export const put = (path, body) => api("PUT", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);

/** A query string of the filters that are set. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
