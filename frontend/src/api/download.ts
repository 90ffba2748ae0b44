// CSV downloads of authenticated routes: the access token lives in memory (not in a link), so the file is fetched
// with the Authorization header (through the client, which renews an expired token once) and saved from a Blob.
import { auth, expired, refresh } from "./client";

export type Saved = { ok: true } | { ok: false; status: number };

async function get(url: string): Promise<Response> {
  const headers = new Headers();
  const token = auth()?.token;
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return fetch(url, { headers, credentials: "same-origin" });
}

/** Fetches `url` (same origin) and saves it as `filename`; a 401 renews the sign-in once, then leads to sign-in. */
export async function download(url: string, filename: string): Promise<Saved> {
  let response = await get(url);
  if (response.status === 401) {
    if (!(await refresh())) {
      expired();
      return { ok: false, status: 401 };
    }
    response = await get(url);
  }
  if (!response.ok) return { ok: false, status: response.status };
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = href;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return { ok: true };
}

/** `?a=1&b=2` of the defined values (empty when none). */
export function query(params: Record<string, string | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}
