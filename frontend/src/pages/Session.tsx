// One session: its figures, a per-minute chart (viewers and GMV, uPlot) and the product ranking.
import { useEffect, useRef, useState } from "preact/hooks";
import "uplot/dist/uPlot.min.css";
import type uPlotType from "uplot";
import { api, type Schemas } from "../api/client";
import { Figure } from "../components/Figure";
import { Freshness } from "../components/Freshness";
import { clock, count, dateTime, money, moneyCompact } from "../format";
import { t } from "../i18n";

type Detail = Schemas["SessionDetail"];
const TOP_PRODUCTS = 10;

function Timeline(props: { detail: Detail }) {
  const box = useRef<HTMLDivElement>(null);
  const { timeline, timezone, currency } = props.detail;
  useEffect(() => {
    if (!box.current || timeline.length === 0) return;
    const xs = timeline.map((p) => Date.parse(p.minute) / 1000);
    const viewers = timeline.map((p) => p.current_viewers ?? p.viewers ?? null);
    const gmv = timeline.map((p) => (p.placed_sales == null ? null : Number(p.placed_sales)));
    const width = () => box.current?.clientWidth ?? 320;
    let chart: uPlotType | null = null;
    let gone = false;
    const resize = () => chart?.setSize({ width: width(), height: 220 });
    // uPlot (the bulk of this page's code) loads after the figures and the ranking have painted.
    import("uplot").then(({ default: uPlot }) => {
      if (gone || !box.current) return;
      chart = new uPlot(
        {
          width: width(),
          height: 220,
          tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), timezone),
          scales: { x: { time: true } },
          axes: [
            {
              incrs: [60, 300, 600, 900, 1800, 3600, 7200, 14400], // whole minutes: the timeline is per minute
              values: (_u, ticks) => ticks.map((v) => clock(new Date(v * 1000).toISOString(), timezone)),
            },
            { scale: "v", label: t("viewers"), size: 50 },
            { scale: "g", side: 1, label: t("gmv"), size: 70, grid: { show: false }, values: (_u, ticks) => ticks.map((v) => moneyCompact(v, currency)) },
          ],
          series: [
            { value: (_u, v) => (v == null ? "—" : clock(new Date(v * 1000).toISOString(), timezone)) },
            { label: t("viewers"), scale: "v", stroke: "#2f6fdf", width: 2, value: (_u, v) => count(v) },
            { label: t("gmv"), scale: "g", stroke: "#c2410c", width: 2, value: (_u, v) => (v == null ? "—" : money(String(v), currency)) },
          ],
        },
        [xs, viewers, gmv],
        box.current,
      );
    });
    addEventListener("resize", resize);
    return () => {
      gone = true;
      removeEventListener("resize", resize);
      chart?.destroy();
    };
  }, [timeline, timezone, currency]);
  if (timeline.length === 0) return <p class="state">{t("noTimeline")}</p>;
  return <div ref={box} class="chart" role="img" aria-label={`${t("timeline")}: ${t("viewers")}, ${t("gmv")}`} />;
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
