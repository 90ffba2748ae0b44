// A host's own monthly GMV targets on their pay page (issue #20): GET /api/v1/targets answers a host only their own
// host targets, each with the confirmed GMV the roster attributed to them so far, what is expected by now, pace
// and the month-end projection (TargetView.tsx). A month of the studio's calendar, picked like on the analytics page.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client";
import { useStudios } from "../api/studios";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { messages } from "../i18n";
import { type Target, TargetView } from "./TargetView";

const m = messages({
  en: {
    title: "My monthly target",
    help: "Your confirmed GMV this month (sales of the sessions attributed to you) against the target your studio set. Expected by now grows evenly over the month's days.",
    month: "Month",
    none: "No target for you in this month.",
  },
  id: {
    title: "Target bulanan saya",
    help: "GMV terkonfirmasi Anda bulan ini (penjualan sesi yang diatribusikan kepada Anda) dibanding target dari studio. Yang diharapkan sampai sekarang naik merata menurut hari dalam bulan.",
    month: "Bulan",
    none: "Belum ada target untuk Anda di bulan ini.",
  },
});

function thisMonth(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit" }).format(new Date()).slice(0, 7);
}

export function MyTargets() {
  const studios = useStudios();
  const timezone = [...studios.values()][0]?.timezone;
  const [month, setMonth] = useState<string | null>(null);
  const shown = month ?? (timezone ? thisMonth(timezone) : null);
  const [data, setData] = useState<Load<Target[]>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!shown) return;
    let stop = false;
    setData({ state: "loading" });
    api.GET("/api/v1/targets", { params: { query: { month: shown } } }).then(
      ({ data: body }) => !stop && setData(body ? { state: "ready", value: body.items } : { state: "error" }),
      () => !stop && setData({ state: "error" }),
    );
    return () => {
      stop = true;
    };
  }, [shown, attempt]);
  return (
    <section class="card targets my-targets" aria-labelledby="my-targets-h" data-testid="my-targets">
      <h2 id="my-targets-h">{m("title")}</h2>
      <p class="muted small">{m("help")}</p>
      <p>
        <label>
          {m("month")}{" "}
          <input
            type="month"
            value={shown ?? ""}
            min="2000-01"
            max="2099-12"
            required
            onChange={(e) => {
              const value = e.currentTarget.value;
              if (/^\d{4}-\d{2}$/.test(value)) setMonth(value);
            }}
          />
        </label>
      </p>
      {data.state === "loading" && <Loading />}
      {data.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {data.state === "ready" &&
        (data.value.length === 0 ? (
          <Empty text={m("none")} />
        ) : (
          <ul class="target-list">
            {data.value.map((tg) => (
              <TargetView key={`${tg.studio_id}:${tg.scope_id}`} target={tg} />
            ))}
          </ul>
        ))}
    </section>
  );
}
