// The frames of the SSE feed /api/v1/live (not in the OpenAPI document, which cannot describe a stream's events):
// `event: snapshot` data `{"sessions": LiveSession[]}`, then `event: session` data LiveSession. Mirrors the
// gateway's `models.LiveSession`; the figures share the types of `SessionSummary`.
import type { Schemas } from "./client";

type Summary = Schemas["SessionSummary"];

export type LiveSession = Pick<
  Summary,
  | "account_id"
  | "session_id"
  | "studio_id"
  | "title"
  | "on_air"
  | "started_at"
  | "ended_at"
  | "observed_at"
  | "currency"
  | "viewers"
  | "current_viewers"
  | "peak_viewers"
  | "placed_orders"
  | "placed_sales"
  | "confirmed_orders"
  | "confirmed_sales"
> & { kind: "snapshot" | "ended" | "current" };
