// Writes: the gateway answers 202 with the command's status URL; the owning service applies or rejects it
// asynchronously. `settle` follows that URL until the outcome is known, so a page can say "saved" or why not.
import { api, refusal, type Schemas } from "./client";

export type Outcome = { ok: true } | { ok: false; error: string };

/** The problem+json `detail` (or `title`) of a refused request, for showing to the user (the client keeps an
 * unread copy of every refused response: openapi-fetch has read the body itself by then). */
export async function problemText(response: Response): Promise<string> {
  try {
    const body = (await refusal(response).clone().json()) as { detail?: string | null; title?: string | null };
    return body.detail || body.title || `${response.status}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The outcome of a write: `accepted` is the 202 body (undefined when the gateway refused the request, whose
 * problem text is returned). Polls the command's status with a growing pause until it is applied or rejected.
 */
export async function settle(
  accepted: Schemas["CommandAccepted"] | undefined,
  response: Response,
  timeoutMs = 20_000,
): Promise<Outcome> {
  if (!accepted) return { ok: false, error: await problemText(response) };
  const deadline = Date.now() + timeoutMs;
  for (let pause = 150; Date.now() < deadline; pause = Math.min(pause * 2, 1500)) {
    await sleep(pause);
    const { data } = await api.GET("/api/v1/commands/{command_id}", {
      params: { path: { command_id: accepted.command_id } },
    });
    if (data?.status === "applied") return { ok: true };
    if (data?.status === "rejected") return { ok: false, error: data.error ?? "rejected" };
  }
  return { ok: false, error: "timeout" };
}
