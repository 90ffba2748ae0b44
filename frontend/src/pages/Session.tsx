// One session: its figures, a per-minute chart (viewers and GMV, uPlot) and the product ranking.
import { type RefObject } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import "uplot/dist/uPlot.min.css";
import type uPlotType from "uplot";
import { api, type Schemas } from "../api/client";
import { Figure } from "../components/Figure";
import { Freshness } from "../components/Freshness";
import { clock, count, dateTime, money, moneyCompact } from "../format";
import { messages, t, uiLocale } from "../i18n";

type Detail = Schemas["SessionDetail"];
const TOP_PRODUCTS = 10;

const m = messages({
  en: {
    placedVsConfirmed: "Placed and confirmed",
    placed: "Placed",
    confirmed: "Confirmed",
    live: "Live: still counting",
    final: "Final",
    settling: "Settling until {when}",
    placedFinal: "Placed figures are final: read once more when the session ended.",
    confirmedSettling: "Confirmed figures still change while Shopee confirms late orders (until {when}).",
    liveNote: "On air: placed and confirmed figures still grow.",
    confirmedRate: "Confirmed share of placed GMV",
    hostShares: "Hosts' shares",
    host: "Host",
    share: "Share of placed GMV",
    onAirTime: "On air",
    unassigned: "Unassigned (no host rostered)",
    noHosts: "No host attribution yet.",
    sharesNote: "Split by who was rostered on air when each sale was made; what settles later is split by those shares.",
  },
  id: {
    placedVsConfirmed: "Dibuat dan terkonfirmasi",
    placed: "Dibuat",
    confirmed: "Terkonfirmasi",
    live: "Live: masih dihitung",
    final: "Final",
    settling: "Masih berubah hingga {when}",
    placedFinal: "Angka pesanan dibuat sudah final: dibaca sekali lagi saat sesi berakhir.",
    confirmedSettling: "Angka terkonfirmasi masih berubah selama Shopee mengonfirmasi pesanan terlambat (hingga {when}).",
    liveNote: "Sedang live: angka dibuat dan terkonfirmasi masih bertambah.",
    confirmedRate: "Bagian GMV dibuat yang terkonfirmasi",
    hostShares: "Bagian per host",
    host: "Host",
    share: "Bagian GMV dibuat",
    onAirTime: "Waktu live",
    unassigned: "Tanpa host (tidak ada jadwal)",
    noHosts: "Belum ada atribusi host.",
    sharesNote: "Dibagi menurut host yang terjadwal live saat penjualan terjadi; yang terkonfirmasi kemudian dibagi dengan bagian itu.",
  },
});

function pct(part: number, whole: number): string {
  return new Intl.NumberFormat(uiLocale(), { style: "percent", maximumFractionDigits: 1 }).format(part / whole);
}

function duration(ms: number | null | undefined): string {
  if (ms == null) return "—";
  const minutes = Math.round(ms / 60_000);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

function StateBadge(props: { state: "live" | "settling" | "final"; until: string | null; tz: string; testid: string }) {
  const text = props.state === "live" ? m("live") : props.state === "final" ? m("final") : m("settling", { when: dateTime(props.until, props.tz) });
  const cls = props.state === "final" ? "badge fresh" : props.state === "live" ? "badge live-badge" : "badge stale";
  return (
    <span class={cls} data-testid={props.testid} data-state={props.state}>
      {text}
    </span>
  );
}

/** Placed against confirmed figures, and whether each is still moving (live / settling) or final. */
function PlacedConfirmed(props: { detail: Detail }) {
  const d = props.detail;
  const mm = d.metrics;
  const st = d.settling;
  const rate =
    mm.placed_sales != null && mm.confirmed_sales != null && Number(mm.placed_sales) > 0
      ? pct(Number(mm.confirmed_sales), Number(mm.placed_sales))
      : null;
  return (
    <section class="card" aria-labelledby="pc-h">
      <h2 id="pc-h">{m("placedVsConfirmed")}</h2>
      <div class="table-scroll">
        <table class="pc">
          <thead>
            <tr>
              <th scope="col"><span class="sr-only">{m("placedVsConfirmed")}</span></th>
              <th scope="col" class="num">{t("gmv")}</th>
              <th scope="col" class="num">{t("orders")}</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">
                {m("placed")} <StateBadge state={st.placed} until={null} tz={d.timezone} testid="placed-state" />
              </th>
              <td class="num" data-testid="placed-gmv">{money(mm.placed_sales, d.currency)}</td>
              <td class="num">{count(mm.placed_orders)}</td>
            </tr>
            <tr>
              <th scope="row">
                {m("confirmed")} <StateBadge state={st.confirmed} until={st.confirmed_final_at} tz={d.timezone} testid="confirmed-state" />
              </th>
              <td class="num" data-testid="confirmed-gmv">{money(mm.confirmed_sales, d.currency)}</td>
              <td class="num">{count(mm.confirmed_orders)}</td>
            </tr>
          </tbody>
        </table>
      </div>
      <p class="small muted">
        {m("confirmedRate")}: {rate ?? "—"}
        {" · "}
        {st.placed === "live" ? m("liveNote") : m("placedFinal")}
        {st.confirmed === "settling" && ` ${m("confirmedSettling", { when: dateTime(st.confirmed_final_at, d.timezone) })}`}
      </p>
    </section>
  );
}

/** How the session's placed GMV splits between the hosts rostered on air (and the unassigned remainder). */
function HostShares(props: { detail: Detail }) {
  const d = props.detail;
  const hosts = d.hosts;
  const total = hosts.reduce((sum, h) => sum + Number(h.placed_sales ?? 0), 0);
  return (
    <section class="card" aria-labelledby="shares-h">
      <h2 id="shares-h">{m("hostShares")}</h2>
      {hosts.length === 0 ? (
        <p class="state">{m("noHosts")}</p>
      ) : (
        <>
          <div class="table-scroll" tabIndex={0} aria-label={m("hostShares")}>
            <table class="shares">
              <thead>
                <tr>
                  <th scope="col">{m("host")}</th>
                  <th scope="col">{m("share")}</th>
                  <th scope="col" class="num">{t("gmv")}</th>
                  <th scope="col" class="num">{t("gmvConfirmed")}</th>
                  <th scope="col" class="num">{m("onAirTime")}</th>
                </tr>
              </thead>
              <tbody>
                {hosts.map((h) => {
                  const part = h.placed_sales == null || total <= 0 ? null : Number(h.placed_sales) / total;
                  return (
                    <tr key={h.host_id ?? "-"} data-host={h.host_id ?? ""}>
                      <th scope="row">{h.host_id == null ? m("unassigned") : (h.name ?? h.host_id)}</th>
                      <td data-testid="share" title={part == null ? t("unknownValue") : undefined}>
                        <span class="share">
                          <span class="bar" aria-hidden="true">
                            <span style={{ width: `${Math.round((part ?? 0) * 100)}%` }} />
                          </span>
                          {part == null ? "—" : pct(part, 1)}
                        </span>
                      </td>
                      <td class="num">{money(h.placed_sales, d.currency)}</td>
                      <td class="num">{money(h.confirmed_sales, d.currency)}</td>
                      <td class="num">{duration(h.on_air_ms)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p class="small muted">{m("sharesNote")}</p>
        </>
      )}
    </section>
  );
}

/**
 * uPlot's `tzDate` for a timezone without an Intl call per timestamp (uPlot's own builds a Date from a formatted
 * string each time, the bulk of the chart's first draw on a slow phone): a Date whose local fields read as the
 * wall clock in `timeZone`, the zone's offset looked up once per hour of the session.
 */
function wallClock(timeZone: string): (ts: number) => Date {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric",
  });
  const shifts = new Map<number, number>();
  return (ts: number) => {
    const hour = Math.floor(ts / 3600);
    let shift = shifts.get(hour);
    if (shift === undefined) {
      const at = new Date(hour * 3600 * 1000);
      const part = (type: string) => Number(format.formatToParts(at).find((p) => p.type === type)?.value);
      const wall = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"));
      shift = wall - at.getTime() + at.getTimezoneOffset() * 60_000;
      shifts.set(hour, shift);
    }
    return new Date(ts * 1000 + shift);
  };
}

/** True once `box` has come within 200 px of the viewport (and from then on): work for what is below the fold
 * waits until someone scrolls to it. */
function useSeen(box: RefObject<HTMLElement | null>): boolean {
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const element = box.current;
    if (seen || !element) return;
    if (typeof IntersectionObserver === "undefined") return setSeen(true);
    const watch = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setSeen(true), {
      rootMargin: "200px",
    });
    watch.observe(element);
    return () => watch.disconnect();
  }, [seen]);
  return seen;
}

type Series = [number[], (number | null)[], (number | null)[], (number | null)[]];

function timelineSeries(timeline: Detail["timeline"]): Series {
  return [
    timeline.map((p) => Date.parse(p.minute) / 1000),
    timeline.map((p) => p.current_viewers ?? p.viewers ?? null),
    timeline.map((p) => (p.placed_sales == null ? null : Number(p.placed_sales))),
    timeline.map((p) => p.placed_orders ?? null),
  ];
}

/** The per-minute chart: uPlot loads and draws once the chart scrolls into view (below the fold on a phone); a
 * reload of the session gives the same chart new data instead of a new chart. */
function TimelineChart(props: { detail: Detail }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlotType | null>(null);
  const { timeline, timezone, currency } = props.detail;
  const data = useMemo(() => timelineSeries(timeline), [timeline]);
  const latest = useRef(data);
  latest.current = data;
  const seen = useSeen(box);
  useEffect(() => {
    if (!seen) return;
    const width = () => box.current?.clientWidth ?? 320;
    let gone = false;
    const resize = () => chart.current?.setSize({ width: width(), height: 220 });
    import("uplot").then(({ default: uPlot }) => {
      if (gone || !box.current) return;
      chart.current = new uPlot(
        {
          width: width(),
          height: 220,
          tzDate: wallClock(timezone),
          scales: { x: { time: true } },
          axes: [
            {
              incrs: [60, 300, 600, 900, 1800, 3600, 7200, 14400], // whole minutes: the timeline is per minute
              values: (_u, ticks) => ticks.map((v) => clock(new Date(v * 1000).toISOString(), timezone)),
            },
            { scale: "v", label: t("viewers"), size: 50 },
            { scale: "g", side: 1, label: t("gmv"), size: 70, grid: { show: false }, values: (_u, ticks) => ticks.map((v) => moneyCompact(v, currency)) },
            { scale: "o", show: false }, // orders: read from the legend (their own scale would crowd a phone)
          ],
          series: [
            { value: (_u, v) => (v == null ? "—" : clock(new Date(v * 1000).toISOString(), timezone)) },
            { label: t("viewers"), scale: "v", stroke: "#2f6fdf", width: 2, value: (_u, v) => count(v) },
            { label: t("gmv"), scale: "g", stroke: "#c2410c", width: 2, value: (_u, v) => (v == null ? "—" : money(String(v), currency)) },
            { label: t("orders"), scale: "o", stroke: "#0b6b3a", width: 2, dash: [6, 4], value: (_u, v) => count(v) },
          ],
        },
        latest.current,
        box.current,
      );
    });
    addEventListener("resize", resize);
    return () => {
      gone = true;
      removeEventListener("resize", resize);
      chart.current?.destroy();
      chart.current = null;
    };
  }, [seen, timezone, currency]);
  useEffect(() => chart.current?.setData(data), [data]);
  return <div ref={box} class="chart" role="img" aria-label={`${t("timeline")}: ${t("viewers")}, ${t("gmv")}`} />;
}

function Timeline(props: { detail: Detail }) {
  if (props.detail.timeline.length === 0) return <p class="state">{t("noTimeline")}</p>;
  return <TimelineChart detail={props.detail} />;
}

export function SessionPage(props: { accountId: string; sessionId: string }) {
  const [detail, setDetail] = useState<Detail | null | "error" | "missing">(null);
  const [loadedAt, setLoadedAt] = useState<string | null>(null);
  const [allProducts, setAllProducts] = useState(false);
  useEffect(() => {
    let stop = false;
    const load = () =>
      api
        .GET("/api/v1/sessions/{account_id}/{session_id}", {
          params: { path: { account_id: props.accountId, session_id: Number(props.sessionId) } },
        })
        .then(
          ({ data, response }) => {
            if (stop) return;
            setDetail(data ?? (response.status === 404 ? "missing" : "error"));
            if (data) setLoadedAt(new Date().toISOString());
          },
          () => !stop && setDetail("error"),
        );
    load();
    const timer = setInterval(load, 15_000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [props.accountId, props.sessionId]);

  if (detail === null) return <main id="main"><p class="state">{t("loading")}</p></main>;
  if (detail === "missing")
    return (
      <main id="main">
        <p class="state">{t("notFound")}</p>
        <a href="/">{t("back")}</a>
      </main>
    );
  if (detail === "error")
    return (
      <main id="main">
        <p class="state error" role="alert">{t("errorLoading")}</p>
        <a href="/">{t("back")}</a>
      </main>
    );
  const m = detail.metrics;
  // Ranked by GMV; products that sold nothing (most of a showcase) only on request.
  const ranked = [...detail.products].sort((a, b) => Number(b.placed_sales ?? -1) - Number(a.placed_sales ?? -1));
  const sold = ranked.filter((p) => (p.placed_items_sold ?? 0) > 0 || Number(p.placed_sales ?? 0) > 0);
  const products = allProducts ? ranked : sold.slice(0, TOP_PRODUCTS);
  const hidden = ranked.length - products.length;
  return (
    <main id="main">
      <p><a href="/">← {t("back")}</a></p>
      <div class="page-head">
        <h1>{detail.title ?? `${t("session")} ${detail.session_id}`}</h1>
        <span class={detail.on_air ? "pill live" : "pill"}>{detail.on_air ? t("onAir") : t("offAir")}</span>
      </div>
      <p class="muted">
        {detail.account_id} · {t("started")} {dateTime(detail.started_at, detail.timezone)}
        {detail.ended_at && ` · ${t("ended")} ${dateTime(detail.ended_at, detail.timezone)}`}
      </p>
      {detail.on_air && <Freshness at={loadedAt} />}
      <section class="card">
        <dl class="figures">
          <Figure label={t("gmv")} value={money(m.placed_sales, detail.currency)} unknown={m.placed_sales == null} big />
          <Figure label={t("gmvConfirmed")} value={money(m.confirmed_sales, detail.currency)} unknown={m.confirmed_sales == null} />
          <Figure
            label={`${t("orders")} (${t("ordersPlaced")} / ${t("ordersConfirmed")})`}
            value={`${count(m.placed_orders)} / ${count(m.confirmed_orders)}`}
            unknown={m.placed_orders == null || m.confirmed_orders == null}
          />
          <Figure label={t("peakViewers")} value={count(m.peak_viewers)} unknown={m.peak_viewers == null} />
        </dl>
      </section>
      <PlacedConfirmed detail={detail} />
      <HostShares detail={detail} />
      <section class="card">
        <h2>{t("timeline")}</h2>
        <Timeline detail={detail} />
      </section>
      <section class="card">
        <h2>{t("products")}</h2>
        {products.length === 0 && <p class="state">{t("noProducts")}</p>}
        {products.length > 0 && (
          <div class="table-scroll" tabIndex={0} aria-label={t("products")}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("rank")}</th>
                  <th scope="col">{t("product")}</th>
                  <th scope="col" class="num">{t("itemsSold")}</th>
                  <th scope="col" class="num">{t("gmv")}</th>
                </tr>
              </thead>
              <tbody>
                {products.map((p, i) => (
                  <tr key={p.item_id}>
                    <td>{i + 1}</td>
                    <td>{p.title ?? p.item_id}</td>
                    <td class="num" title={p.placed_items_sold == null ? t("unknownValue") : undefined}>{count(p.placed_items_sold)}</td>
                    <td class="num" title={p.placed_sales == null ? t("unknownValue") : undefined}>{money(p.placed_sales, detail.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {hidden > 0 && (
          <button type="button" class="secondary" onClick={() => setAllProducts(true)}>
            {t("showAllProducts", { n: ranked.length })}
          </button>
        )}
      </section>
    </main>
  );
}
