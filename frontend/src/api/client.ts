// The typed API client (openapi-fetch over the generated `schema.d.ts`) and the sign-in state.
// The access token lives in memory only; the HttpOnly refresh cookie renews it (also after a reload). A 401 is
// retried once after a refresh; when the refresh fails too, the app goes back to sign-in and the request waits:
// once the same person has signed in again it is sent again (a write typed before the expiry is not lost), and
// anyone else signing in, or signing out, answers it with the 401.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Me = Schemas["Me"];

export interface SignedIn {
  token: string;
  csrf: string;
  email: string | null;
  me: Me;
}

/** `expired`: the API refused the sign-in and the refresh cookie could not renew it (not a sign-out). */
type Listener = (state: SignedIn | null, expired: boolean) => void;
let state: SignedIn | null = null;
const listeners = new Set<Listener>();
let refreshing: Promise<boolean> | null = null;

export function auth(): SignedIn | null {
  return state;
}

export function onAuth(fn: Listener): () => void {
  listeners.add(fn);
  return () => void listeners.delete(fn);
}

let lastSub: string | null = null;
const signInWaiters = new Set<(next: SignedIn | null) => void>();

function setState(next: SignedIn | null, expired = false): void {
  state = next;
  if (next || !expired) {
    lastSub = next?.me.sub ?? null;
    signInWaiters.forEach((fn) => fn(next));
    signInWaiters.clear();
  }
  listeners.forEach((fn) => fn(next, expired));
}

/** Resolves at the next sign-in (its state), or with null at a sign-out. */
function nextSignIn(): Promise<SignedIn | null> {
  return new Promise((resolve) => signInWaiters.add(resolve));
}

function csrfCookie(): string {
  const found = document.cookie.split("; ").find((c) => c.startsWith("ls_csrf="));
  return found ? decodeURIComponent(found.slice("ls_csrf=".length)) : "";
}

/** An unsent copy of each request (a sent request's body cannot be read again), for sending it again. */
const copies = new WeakMap<Request, Request>();

const withToken: Middleware = {
  onRequest({ request }) {
    if (state) request.headers.set("Authorization", `Bearer ${state.token}`);
    copies.set(request, request.clone());
    return request;
  },
};

/** An unread copy of each refused response: openapi-fetch reads the body (into `error`) before the caller can. */
const refusals = new WeakMap<Response, Response>();
const keepRefusals: Middleware = {
  onResponse({ response }) {
    if (!response.ok) refusals.set(response, response.clone());
    return undefined;
  },
};

/** The refused response as it arrived, its body still readable (the response itself when it was not kept). */
export function refusal(response: Response): Response {
  return refusals.get(response) ?? response;
}

export const api = createClient<paths>({ baseUrl: "" });
api.use(keepRefusals); // first in, so its onResponse runs last: it sees the final response (after a retry)
api.use(withToken);

/** Who signed in, from the sign-in / refresh answer (saves a round trip to /api/v1/me on every page load). */
function meOf(user: Schemas["User"]): Me {
  return { sub: user.user_id, role: user.role, studios: user.studios, host_id: user.host_id };
}

export type SignInResult = { ok: true } | { ok: false; status: number; retryAfter: number | null };

export async function signIn(email: string, password: string): Promise<SignInResult> {
  const { data, response } = await api.POST("/api/v1/auth/signin", { body: { email, password } });
  if (!data) {
    const retry = response.headers.get("Retry-After");
    return { ok: false, status: response.status, retryAfter: retry ? Number(retry) : null };
  }
  setState({ token: data.access_token, csrf: data.csrf_token, email: data.user.email, me: meOf(data.user) });
  return { ok: true };
}

/** Runs `task` while no other tab of this origin refreshes (Web Locks): the next tab then sends the cookie the
 * first one received, not the one just used (the gateway tolerates a second use only briefly). */
async function oneTabAtATime<T>(task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return task();
  let result!: T;
  await locks.request("livestudio-refresh", async () => {
    result = await task();
  });
  return result;
}

/** A new access token from the refresh cookie; false when the sign-in is over. One refresh at a time. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const csrf = state?.csrf || csrfCookie();
      if (!csrf) return false;
      const { data } = await oneTabAtATime(() =>
        api.POST("/api/v1/auth/refresh", { params: { header: { "X-CSRF-Token": csrf } } }),
      );
      if (!data) return false;
      setState({ token: data.access_token, csrf: data.csrf_token, email: data.user.email, me: meOf(data.user) });
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export async function signOut(): Promise<void> {
  const csrf = state?.csrf || csrfCookie();
  setState(null);
  if (csrf) await api.POST("/api/v1/auth/signout", { params: { header: { "X-CSRF-Token": csrf } } }).catch(() => null);
}

/** Called when the API refused the token even after a refresh. */
export function expired(): void {
  if (state) setState(null, true);
}

const renewOn401: Middleware = {
  async onResponse({ request, response }) {
    const copy = copies.get(request);
    if (response.status !== 401 || !copy || request.url.includes("/api/v1/auth/")) return response;
    if (!(await refresh())) {
      const who = lastSub;
      expired();
      const next = await nextSignIn();
      if (!next || next.me.sub !== who) return response;
    }
    copy.headers.set("Authorization", `Bearer ${state!.token}`);
    return fetch(copy);
  },
};
api.use(renewOn401);
