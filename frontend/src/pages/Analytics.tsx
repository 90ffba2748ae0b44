// Analytics (owners and managers): a date range in the studio's timezone (presets or from/to, kept in the URL),
// the range's totals against the previous range of the same length, the daily series (uPlot), per-account figures
// with ROAS/ACOS and the ad spend typed in per account and day, the best-selling products, the hours of the day and
// shifts (HoursSection) and profit (ProfitSection).
import { useEffect, useRef, useState } from "preact/hooks";
import "uplot/dist/uPlot.min.css";
import type uPlotType from "uplot";
import { api, type Schemas } from "../api/client";
import { settle } from "../api/commands";
import { type Studio, useStudios } from "../api/studios";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { count, money, moneyCompact } from "../format";
import { messages, t, uiLocale, useLang } from "../i18n";
import { HoursSection } from "./HoursSection";
import { ProfitSection } from "./ProfitSection";
import { TargetsSection } from "./TargetsSection";

type Figures = Schemas["Figures"];
type Delta = Schemas["Delta"];
interface Data {
  range: string;
  summary: Schemas["Summary"];
  daily: Schemas["DailySeries"];
  accounts: Schemas["AccountBreakdown"];
  products: Schemas["ProductRanking"];
}

const m = messages({
  en: {
    range: "Date range",
    last7: "7 days",
    last30: "30 days",
    last90: "90 days",
    thisMonth: "This month",
    from: "From",
    to: "To",
    apply: "Show",
    badRange: "Choose a start on or before the end.",
    rangeIs: "{from} – {to} ({tz})",
    vsPrevious: "vs {from} – {to}",
    sessions: "Sessions",
    streamingHours: "Streaming hours",
    gmvPerHour: "GMV per streaming hour",
    aov: "Average order value",
    conversion: "Conversion",
    adSpend: "Ad spend",
    roas: "ROAS",
    acos: "ACOS",
    noSpend: "No ad spend entered for this range: ROAS and ACOS need it.",
    noConfirmed: "No confirmed GMV reported yet.",
    daily: "Per day",
    dailyTable: "Per day as a table",
    day: "Day",
    byAccount: "By account",
    account: "Account",
    topProducts: "Top products (confirmed GMV)",
    noData: "No figures in this range.",
    noProducts: "No product sales in this range.",
    enterSpend: "Ad spend…",
    enterSpendFor: "Ad spend of {account}",
    amount: "Amount ({currency})",
    save: "Save",
    badAmount: "Enter an amount like 150000 (up to 2 decimals).",
    savedSpend: "Saved: the figures are reloaded.",
    close: "Close",
    change: "change",
    noPrevious: "no figure for the previous range",
    roasHelp: "ROAS = confirmed GMV ÷ ad spend; ACOS = ad spend ÷ confirmed GMV.",
    studio: "Studio",
  },
  id: {
    range: "Rentang tanggal",
    last7: "7 hari",
    last30: "30 hari",
    last90: "90 hari",
    thisMonth: "Bulan ini",
    from: "Dari",
    to: "Sampai",
    apply: "Tampilkan",
    badRange: "Pilih awal yang tidak setelah akhir.",
    rangeIs: "{from} – {to} ({tz})",
    vsPrevious: "vs {from} – {to}",
    sessions: "Sesi",
    streamingHours: "Jam siaran",
    gmvPerHour: "GMV per jam siaran",
    aov: "Rata-rata nilai pesanan",
    conversion: "Konversi",
    adSpend: "Biaya iklan",
    roas: "ROAS",
    acos: "ACOS",
    noSpend: "Belum ada biaya iklan untuk rentang ini: ROAS dan ACOS memerlukannya.",
    noConfirmed: "Belum ada GMV terkonfirmasi.",
    daily: "Per hari",
    dailyTable: "Per hari dalam tabel",
    day: "Hari",
    byAccount: "Per akun",
    account: "Akun",
    topProducts: "Produk teratas (GMV terkonfirmasi)",
    noData: "Tidak ada angka dalam rentang ini.",
    noProducts: "Tidak ada penjualan produk dalam rentang ini.",
    enterSpend: "Biaya iklan…",
    enterSpendFor: "Biaya iklan {account}",
    amount: "Jumlah ({currency})",
    save: "Simpan",
    badAmount: "Masukkan jumlah seperti 150000 (maks. 2 desimal).",
    savedSpend: "Tersimpan: angka dimuat ulang.",
    close: "Tutup",
    change: "perubahan",
    noPrevious: "tidak ada angka untuk rentang sebelumnya",
    roasHelp: "ROAS = GMV terkonfirmasi ÷ biaya iklan; ACOS = biaya iklan ÷ GMV terkonfirmasi.",
    studio: "Studio",
  },
});

// --- days in the studio's timezone (YYYY-MM-DD strings) --------------------------------------------------------
type Preset = "7d" | "30d" | "90d" | "month";
const PRESETS: Preset[] = ["7d", "30d", "90d", "month"];
const PRESET_LABEL = { "7d": "last7", "30d": "last30", "90d": "last90", month: "thisMonth" } as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function presetRange(preset: Preset, today: string): [string, string] {
  if (preset === "month") return [`${today.slice(0, 8)}01`, today];
  return [addDays(today, 1 - Number(preset.slice(0, -1))), today];
}

interface Range {
  preset: Preset | null;
  from: string;
  to: string;
}

/** The range in the URL (`?range=30d`, or `?from=…&to=…`), else the last 7 days. */
function rangeFromUrl(today: string): Range {
  const q = new URLSearchParams(location.search);
  const preset = q.get("range") as Preset | null;
  if (preset && PRESETS.includes(preset)) {
    const [from, to] = presetRange(preset, today);
    return { preset, from, to };
  }
  const from = q.get("from") ?? "";
  const to = q.get("to") ?? "";
  if (DAY.test(from) && DAY.test(to) && from <= to) return { preset: null, from, to };
  const [f, t7] = presetRange("7d", today);
  return { preset: "7d", from: f, to: t7 };
}

function keepInUrl(range: Range, studioId: string | null): void {
  const q = new URLSearchParams();
  if (studioId) q.set("studio", studioId);
  if (range.preset) q.set("range", range.preset);
  else {
    q.set("from", range.from);
    q.set("to", range.to);
  }
  history.replaceState(null, "", `${location.pathname}?${q}`);
}

function dayLabel(day: string, withYear = true): string {
  const options: Intl.DateTimeFormatOptions = { day: "numeric", month: "short", timeZone: "UTC", ...(withYear ? { year: "numeric" } : {}) };
  return new Intl.DateTimeFormat(uiLocale(), options).format(new Date(`${day}T00:00:00Z`));
}

// --- figures -------------------------------------------------------------------------------------------------
function ratio(value: string | null | undefined, digits = 2): string {
  if (value == null) return "—";
  return new Intl.NumberFormat(uiLocale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(value));
}

function percent(value: string | null | undefined): string {
  if (value == null) return "—";
  return new Intl.NumberFormat(uiLocale(), { style: "percent", maximumFractionDigits: 2 }).format(Number(value));
}

function hours(ms: number | null | undefined): string {
  if (ms == null) return "—";
  return new Intl.NumberFormat(uiLocale(), { maximumFractionDigits: 1 }).format(ms / 3_600_000);
}

/** "▲ 12.5%" / "▼ 3%" against the previous range; "—" when either side is unknown or the previous one is 0. */
function Change(props: { delta: Delta | undefined }) {
  const r = props.delta?.ratio;
  if (r == null) {
    return (
      <span class="change" title={m("noPrevious")}>
        — <span class="sr-only">({m("noPrevious")})</span>
      </span>
    );
  }
  const diff = Number(r) - 1;
  const cls = diff > 0 ? "change up" : diff < 0 ? "change down" : "change";
  const arrow = diff > 0 ? "▲" : diff < 0 ? "▼" : "=";
  const text = new Intl.NumberFormat(uiLocale(), { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" }).format(diff);
  return (
    <span class={cls}>
      <span aria-hidden="true">{arrow} </span>
      {text} <span class="sr-only">{m("change")}</span>
    </span>
  );
}

function roasReason(f: Figures): string {
  return f.ad_spend == null ? m("noSpend") : m("noConfirmed");
}

function SummaryCard(props: { summary: Schemas["Summary"]; currency: string; tz: string }) {
  const { current, previous, changes } = props.summary;
  const f = current.figures;
  const c = props.currency;
  const rows: { key: string; label: string; value: string; unknown: boolean; reason?: string; big?: boolean }[] = [
    { key: "placed_sales", label: t("gmv"), value: money(f.placed_sales, c), unknown: f.placed_sales == null, big: true },
    { key: "confirmed_sales", label: t("gmvConfirmed"), value: money(f.confirmed_sales, c), unknown: f.confirmed_sales == null, big: true },
    { key: "placed_orders", label: `${t("orders")} (${t("ordersPlaced")})`, value: count(f.placed_orders), unknown: f.placed_orders == null },
    { key: "confirmed_orders", label: `${t("orders")} (${t("ordersConfirmed")})`, value: count(f.confirmed_orders), unknown: f.confirmed_orders == null },
    { key: "sessions", label: m("sessions"), value: count(f.sessions), unknown: f.sessions == null },
    { key: "streaming_ms", label: m("streamingHours"), value: hours(f.streaming_ms), unknown: f.streaming_ms == null },
    { key: "gmv_per_streaming_hour", label: m("gmvPerHour"), value: money(f.gmv_per_streaming_hour, c), unknown: f.gmv_per_streaming_hour == null },
    { key: "aov", label: m("aov"), value: money(f.aov, c), unknown: f.aov == null },
    { key: "conversion", label: m("conversion"), value: percent(f.conversion), unknown: f.conversion == null },
    { key: "ad_spend", label: m("adSpend"), value: money(f.ad_spend, c), unknown: f.ad_spend == null, reason: m("noSpend") },
    { key: "roas", label: m("roas"), value: ratio(f.roas), unknown: f.roas == null, reason: roasReason(f) },
    { key: "acos", label: m("acos"), value: percent(f.acos), unknown: f.acos == null, reason: roasReason(f) },
  ];
  return (
    <section class="card" aria-labelledby="summary-h">
      <h2 id="summary-h">
        {m("rangeIs", { from: dayLabel(current.date_from), to: dayLabel(current.date_to), tz: props.tz })}
      </h2>
      <p class="muted small">{m("vsPrevious", { from: dayLabel(previous.date_from), to: dayLabel(previous.date_to) })}</p>
      <dl class="figures summary">
        {rows.map((r) => (
          <div class={r.big ? "figure big" : "figure"} key={r.key} data-figure={r.key}>
            <dt>{r.label}</dt>
            <dd title={r.unknown ? (r.reason ?? t("unknownValue")) : undefined}>
              {r.value}
              {r.unknown && <span class="sr-only"> ({r.reason ?? t("unknownValue")})</span>}
            </dd>
            <dd class="delta">
              <Change delta={changes[r.key]} />
            </dd>
          </div>
        ))}
      </dl>
      {f.roas == null && <p class="note" data-testid="roas-note">{roasReason(f)} {m("roasHelp")}</p>}
    </section>
  );
}

// --- the daily chart -------------------------------------------------------------------------------------------
function DailyChart(props: { daily: Schemas["DailySeries"]; currency: string }) {
  const box = useRef<HTMLDivElement>(null);
  const { days } = props.daily;
  const currency = props.currency;
  useEffect(() => {
    if (!box.current || days.length === 0) return;
    // one point per local day, placed at noon UTC so that the UTC day label is the local day
    const xs = days.map((d) => Date.parse(`${d.day}T12:00:00Z`) / 1000);
    const placed = days.map((d) => (d.figures.placed_sales == null ? null : Number(d.figures.placed_sales)));
    const confirmed = days.map((d) => (d.figures.confirmed_sales == null ? null : Number(d.figures.confirmed_sales)));
    const width = () => box.current?.clientWidth ?? 320;
    const label = (v: number) => dayLabel(new Date(v * 1000).toISOString().slice(0, 10));
    let chart: uPlotType | null = null;
    let gone = false;
    const resize = () => chart?.setSize({ width: width(), height: 220 });
    import("uplot").then(({ default: uPlot }) => {
      if (gone || !box.current) return;
      chart = new uPlot(
        {
          width: width(),
          height: 220,
          tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), "UTC"),
          scales: { x: { time: true } },
          axes: [
            { incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400], values: (_u, ticks) => ticks.map((v) => dayLabel(new Date(v * 1000).toISOString().slice(0, 10), false)) },
            { size: 70, values: (_u, ticks) => ticks.map((v) => moneyCompact(v, currency)) },
          ],
          series: [
            { value: (_u, v) => (v == null ? "—" : label(v)) },
            { label: t("gmv"), stroke: "#c2410c", width: 2, points: { show: days.length < 40 }, value: (_u, v) => (v == null ? "—" : money(String(v), currency)) },
            { label: t("gmvConfirmed"), stroke: "#2f6fdf", width: 2, points: { show: days.length < 40 }, value: (_u, v) => (v == null ? "—" : money(String(v), currency)) },
          ],
        },
        [xs, placed, confirmed],
        box.current,
      );
    });
    addEventListener("resize", resize);
    return () => {
      gone = true;
      removeEventListener("resize", resize);
      chart?.destroy();
    };
  }, [days, currency]);
  if (days.length === 0) return <Empty text={m("noData")} />;
  return <div ref={box} class="chart" role="img" aria-label={`${m("daily")}: ${t("gmv")}, ${t("gmvConfirmed")}`} />;
}

function DailyTable(props: { daily: Schemas["DailySeries"]; currency: string }) {
  const c = props.currency;
  if (props.daily.days.length === 0) return null;
  return (
    <details>
      <summary>{m("dailyTable")}</summary>
      <div class="table-scroll" tabIndex={0} aria-label={m("dailyTable")}>
        <table data-testid="daily-table" class="wide">
          <thead>
            <tr>
              <th scope="col">{m("day")}</th>
              <th scope="col" class="num">{m("sessions")}</th>
              <th scope="col" class="num">{t("gmv")}</th>
              <th scope="col" class="num">{t("gmvConfirmed")}</th>
              <th scope="col" class="num">{m("adSpend")}</th>
              <th scope="col" class="num">{m("roas")}</th>
            </tr>
          </thead>
          <tbody>
            {props.daily.days.map((d) => (
              <tr key={d.day} data-day={d.day}>
                <th scope="row" class="nowrap">{dayLabel(d.day, false)}</th>
                <td class="num">{count(d.figures.sessions)}</td>
                <td class="num">{money(d.figures.placed_sales, c)}</td>
                <td class="num">{money(d.figures.confirmed_sales, c)}</td>
                <td class="num">{money(d.figures.ad_spend, c)}</td>
                <td class="num" title={d.figures.roas == null ? roasReason(d.figures) : undefined}>{ratio(d.figures.roas)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

// --- accounts, with the ad spend typed in per account and day ----------------------------------------------------
/** The amount as the API takes it ("150000", "12.50"), or null: spaces and the currency's grouping are dropped. */
export function parseAmount(text: string, wholeUnits: boolean): string | null {
  let s = text.replace(/[\s\u00a0]/g, "");
  if (wholeUnits) s = s.replace(/[.,](?=\d{3}(\D|$))/g, "");
  else s = s.replace(/,(?=\d{1,2}$)/, ".").replace(/[,.](?=\d{3}(\D|$))/g, "");
  return /^[0-9]{1,16}(\.[0-9]{1,2})?$/.test(s) ? s : null;
}

function SpendForm(props: { account: Schemas["AccountFigures"]; currency: string; defaultDay: string; maxDay: string; onSaved: () => void; onClose: () => void }) {
  const [day, setDay] = useState(props.defaultDay);
  const [amount, setAmount] = useState("");
  const [status, setStatus] = useState<{ kind: "idle" | "saving" | "saved" | "error"; text?: string }>({ kind: "idle" });
  const id = `spend-${props.account.account_id}`;
  const submit = async (event: Event) => {
    event.preventDefault();
    const value = parseAmount(amount, ["IDR", "VND", "TWD"].includes(props.currency));
    if (value === null) {
      setStatus({ kind: "error", text: m("badAmount") });
      return;
    }
    setStatus({ kind: "saving" });
    try {
      const { data, response } = await api.PUT("/api/v1/accounts/{account_id}/ad-spend/{day}", {
        params: { path: { account_id: props.account.account_id, day } },
        body: { amount: value, currency: props.currency },
      });
      const outcome = await settle(data, response);
      if (outcome.ok) {
        setStatus({ kind: "saved", text: m("savedSpend") });
        props.onSaved();
      } else setStatus({ kind: "error", text: t("refused", { error: outcome.error }) });
    } catch {
      setStatus({ kind: "error", text: t("networkError") });
    }
  };
  return (
    <form class="spend" onSubmit={submit} aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{m("enterSpendFor", { account: props.account.display_name ?? props.account.account_id })}</h3>
      <div class="spend-fields">
        <label>
          {m("day")}
          <input type="date" value={day} max={props.maxDay} required onInput={(e) => setDay((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {m("amount", { currency: props.currency })}
          <input type="text" inputMode="decimal" autoComplete="off" value={amount} required onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={status.kind === "saving"}>
          {status.kind === "saving" ? t("saving") : m("save")}
        </button>
        <button type="button" class="secondary" onClick={props.onClose}>
          {m("close")}
        </button>
      </div>
      <p role="status" class={status.kind === "error" ? "error small" : "small"}>
        {status.text ?? ""}
      </p>
    </form>
  );
}

function AccountsTable(props: { data: Schemas["AccountBreakdown"]; currency: string; range: Range; today: string; onSaved: () => void }) {
  const [open, setOpen] = useState<string | null>(null);
  const c = props.currency;
  if (props.data.items.length === 0) return <Empty text={m("noData")} />;
  const defaultDay = props.range.to > props.today ? props.today : props.range.to;
  return (
    <div class="table-scroll" tabIndex={0} aria-label={m("byAccount")}>
      <table class="accounts-table wide">
        <thead>
          <tr>
            <th scope="col">{m("account")}</th>
            <th scope="col" class="num">{m("sessions")}</th>
            <th scope="col" class="num">{t("gmv")}</th>
            <th scope="col" class="num">{t("gmvConfirmed")}</th>
            <th scope="col" class="num">{m("gmvPerHour")}</th>
            <th scope="col" class="num">{m("adSpend")}</th>
            <th scope="col" class="num">{m("roas")}</th>
            <th scope="col" class="num">{m("acos")}</th>
          </tr>
        </thead>
        <tbody>
          {props.data.items.map((a) => {
            const f = a.figures;
            return [
              <tr key={a.account_id} data-account={a.account_id}>
                <th scope="row">
                  {a.display_name ?? a.account_id}
                  <br />
                  <button type="button" class="secondary small-button" aria-expanded={open === a.account_id} onClick={() => setOpen(open === a.account_id ? null : a.account_id)}>
                    {m("enterSpend")}
                  </button>
                </th>
                <td class="num">{count(f.sessions)}</td>
                <td class="num">{money(f.placed_sales, c)}</td>
                <td class="num" data-testid="confirmed">{money(f.confirmed_sales, c)}</td>
                <td class="num">{money(f.gmv_per_streaming_hour, c)}</td>
                <td class="num" data-testid="spend" title={f.ad_spend == null ? m("noSpend") : undefined}>{money(f.ad_spend, c)}</td>
                <td class="num" data-testid="roas" title={f.roas == null ? roasReason(f) : undefined}>
                  {ratio(f.roas)}
                  {f.roas == null && <span class="sr-only"> ({roasReason(f)})</span>}
                </td>
                <td class="num" title={f.acos == null ? roasReason(f) : undefined}>{percent(f.acos)}</td>
              </tr>,
              open === a.account_id && (
                <tr key={`${a.account_id}-spend`} class="spend-row">
                  <td colSpan={8}>
                    <SpendForm account={a} currency={c} defaultDay={defaultDay} maxDay={props.today} onSaved={props.onSaved} onClose={() => setOpen(null)} />
                  </td>
                </tr>
              ),
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}

function ProductsTable(props: { data: Schemas["ProductRanking"]; currency: string }) {
  if (props.data.items.length === 0) return <Empty text={m("noProducts")} />;
  return (
    <div class="table-scroll" tabIndex={0} aria-label={m("topProducts")}>
      <table class="wide">
        <thead>
          <tr>
            <th scope="col">{t("rank")}</th>
            <th scope="col">{t("product")}</th>
            <th scope="col" class="num">{t("itemsSold")}</th>
            <th scope="col" class="num">{t("gmvConfirmed")}</th>
            <th scope="col" class="num">{m("sessions")}</th>
          </tr>
        </thead>
        <tbody>
          {props.data.items.map((p) => (
            <tr key={p.item_id}>
              <td>{p.rank}</td>
              <td>{p.title ?? p.item_id}</td>
              <td class="num">{count(p.confirmed_items_sold)}</td>
              <td class="num">{money(p.confirmed_sales, props.currency)}</td>
              <td class="num">{count(p.sessions)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// --- the range picker ----------------------------------------------------------------------------------------
function RangePicker(props: { range: Range; today: string; onChange: (r: Range) => void }) {
  const [from, setFrom] = useState(props.range.from);
  const [to, setTo] = useState(props.range.to);
  const [error, setError] = useState(false);
  useEffect(() => {
    setFrom(props.range.from);
    setTo(props.range.to);
  }, [props.range.from, props.range.to]);
  const custom = (event: Event) => {
    event.preventDefault();
    if (!DAY.test(from) || !DAY.test(to) || from > to) {
      setError(true);
      return;
    }
    setError(false);
    props.onChange({ preset: null, from, to });
  };
  return (
    <form class="card range" onSubmit={custom} aria-label={m("range")}>
      <div class="presets" role="group" aria-label={m("range")}>
        {PRESETS.map((p) => (
          <button
            type="button"
            key={p}
            class={props.range.preset === p ? "" : "secondary"}
            aria-pressed={props.range.preset === p}
            onClick={() => {
              const [f, tt] = presetRange(p, props.today);
              props.onChange({ preset: p, from: f, to: tt });
            }}
          >
            {m(PRESET_LABEL[p])}
          </button>
        ))}
      </div>
      <div class="custom">
        <label>
          {m("from")}
          <input type="date" name="from" value={from} max={props.today} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {m("to")}
          <input type="date" name="to" value={to} max={props.today} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class={props.range.preset === null ? "" : "secondary"}>
          {m("apply")}
        </button>
      </div>
      {error && <p class="error small" role="alert">{m("badRange")}</p>}
    </form>
  );
}

// --- the page --------------------------------------------------------------------------------------------------
function pickStudio(studios: Map<string, Studio>): Studio | undefined {
  const wanted = new URLSearchParams(location.search).get("studio");
  return (wanted && studios.get(wanted)) || [...studios.values()][0];
}

function AnalyticsBody(props: { studio: Studio; studios: Studio[]; onStudio: (id: string) => void }) {
  const tz = props.studio.timezone;
  const currency = props.studio.currency;
  const today = todayIn(tz);
  const [range, setRange] = useState<Range>(() => rangeFromUrl(today));
  const [data, setData] = useState<Load<Data>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const studioId = props.studio.studio_id;
  const shown = useRef("");
  useEffect(() => keepInUrl(range, props.studios.length > 1 ? studioId : null), [range, studioId, props.studios.length]);
  useEffect(() => {
    let stop = false;
    const key = `${range.from}/${range.to}`;
    // a new range clears what is shown; a reload of the same range (retry, ad spend applied) keeps it meanwhile
    if (shown.current !== key || data.state === "error") setData({ state: "loading" });
    shown.current = key;
    const query = { date_from: range.from, date_to: range.to, studio_id: studioId };
    Promise.all([
      api.GET("/api/v1/analytics/summary", { params: { query } }),
      api.GET("/api/v1/analytics/daily", { params: { query } }),
      api.GET("/api/v1/analytics/accounts", { params: { query } }),
      api.GET("/api/v1/analytics/top-products", { params: { query: { ...query, limit: 10 } } }),
    ]).then(
      ([summary, daily, accounts, products]) => {
        if (stop) return;
        if (summary.data && daily.data && accounts.data && products.data)
          setData({ state: "ready", value: { range: key, summary: summary.data, daily: daily.data, accounts: accounts.data, products: products.data } });
        else setData({ state: "error" });
      },
      () => !stop && setData({ state: "error" }),
    );
    return () => {
      stop = true;
    };
  }, [range.from, range.to, studioId, attempt]);
  return (
    <>
      {props.studios.length > 1 && (
        <p>
          <label>
            {m("studio")}{" "}
            <select value={studioId} onChange={(e) => props.onStudio((e.target as HTMLSelectElement).value)}>
              {props.studios.map((s) => (
                <option key={s.studio_id} value={s.studio_id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        </p>
      )}
      <TargetsSection key={studioId} studio={props.studio} />
      <RangePicker range={range} today={today} onChange={setRange} />
      {data.state === "loading" && <Loading />}
      {data.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {data.state === "ready" && (
        <div data-range={data.value.range}>
          <SummaryCard summary={data.value.summary} currency={currency} tz={tz} />
          <section class="card" aria-labelledby="daily-h">
            <h2 id="daily-h">{m("daily")}</h2>
            <DailyChart daily={data.value.daily} currency={currency} />
            <DailyTable daily={data.value.daily} currency={currency} />
          </section>
          <section class="card" aria-labelledby="accounts-h">
            <h2 id="accounts-h">{m("byAccount")}</h2>
            <p class="muted small">{m("roasHelp")}</p>
            <AccountsTable data={data.value.accounts} currency={currency} range={range} today={today} onSaved={() => setAttempt((n) => n + 1)} />
          </section>
          <section class="card" aria-labelledby="products-h">
            <h2 id="products-h">{m("topProducts")}</h2>
            <ProductsTable data={data.value.products} currency={currency} />
          </section>
          <HoursSection
            studio={props.studio}
            from={range.from}
            to={range.to}
            accounts={data.value.accounts.items.map((a) => ({ id: a.account_id, name: a.display_name ?? a.account_id }))}
          />
          <ProfitSection studio={props.studio} from={range.from} to={range.to} />
        </div>
      )}
    </>
  );
}

export function AnalyticsPage() {
  useLang();
  const studios = useStudios();
  const [, setPicked] = useState(0);
  const studio = pickStudio(studios);
  const onStudio = (id: string) => {
    const q = new URLSearchParams(location.search);
    q.set("studio", id);
    history.replaceState(null, "", `${location.pathname}?${q}`);
    setPicked((n) => n + 1);
  };
  return (
    <main id="main">
      <div class="page-head">
        <h1>{t("analytics")}</h1>
      </div>
      {studios.size === 0 && <Loading />}
      {studio && <AnalyticsBody key={studio.studio_id} studio={studio} studios={[...studios.values()]} onStudio={onStudio} />}
    </main>
  );
}
