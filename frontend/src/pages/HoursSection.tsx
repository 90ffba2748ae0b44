// Hours of the day on the analytics page (issue #20): for the page's range and studio, optionally one account and
// one host, the figures per local hour of the day, a weekday x hour heat table of confirmed GMV for planning the
// roster, and the shift scoreboard. Reads GET /api/v1/analytics/hours (and /hosts for the host filter) only once the
// section comes near the viewport, after the page's main figures.
import { type RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import type { Studio } from "../api/studios";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { count, money, UNKNOWN } from "../format";
import { messages, t, uiLocale } from "../i18n";

type Bucket = Schemas["HourBucket"];
type Group = "hour" | "weekday_hour" | "shift";
const GROUPS: Group[] = ["hour", "weekday_hour", "shift"];

const m = messages({
  en: {
    title: "Hours and shifts",
    help: "Figures per local hour of the day ({tz}). GMV per hour is confirmed GMV ÷ the hours with a stream.",
    group: "Group by",
    hour: "Hour of the day",
    weekday_hour: "Weekday × hour",
    shift: "Shifts",
    account: "Account",
    host: "Host",
    all: "All",
    hourCol: "Hour",
    weekday: "Day",
    shiftCol: "Shift",
    gmvPerHour: "GMV per hour",
    streamHours: "Hours streamed",
    heatCaption: "Confirmed GMV per weekday and hour ({currency}); darker is more. Scroll sideways on a phone.",
    noStream: "no stream",
    empty: "No streamed hours in this range.",
    emptyShifts: "No shift had a stream in this range.",
    legend: "Less",
    legendMore: "more",
  },
  id: {
    title: "Jam dan shift",
    help: "Angka per jam lokal ({tz}). GMV per jam adalah GMV terkonfirmasi ÷ jam yang ada siarannya.",
    group: "Kelompokkan",
    hour: "Jam dalam hari",
    weekday_hour: "Hari × jam",
    shift: "Shift",
    account: "Akun",
    host: "Host",
    all: "Semua",
    hourCol: "Jam",
    weekday: "Hari",
    shiftCol: "Shift",
    gmvPerHour: "GMV per jam",
    streamHours: "Jam siaran",
    heatCaption: "GMV terkonfirmasi per hari dan jam ({currency}); makin gelap makin besar. Geser ke samping di ponsel.",
    noStream: "tidak ada siaran",
    empty: "Tidak ada jam siaran dalam rentang ini.",
    emptyShifts: "Tidak ada shift dengan siaran dalam rentang ini.",
    legend: "Sedikit",
    legendMore: "banyak",
  },
});

const HOURS = Array.from({ length: 24 }, (_, h) => h);
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

function hourLabel(h: number): string {
  return `${String(h).padStart(2, "0")}:00`;
}

/** ISO weekday 1 (Monday) .. 7 as a short name in the interface's language (1 Jan 2024 was a Monday). */
function weekdayName(day: number): string {
  return new Intl.DateTimeFormat(uiLocale(), { weekday: "short", timeZone: "UTC" }).format(new Date(Date.UTC(2024, 0, day)));
}

function compact(value: string): string {
  return new Intl.NumberFormat(uiLocale(), { notation: "compact", maximumFractionDigits: 1 }).format(Number(value));
}

/** True once the element is within 200 px of the viewport (the session page's chart does the same). */
function useSeen(box: RefObject<HTMLElement | null>): boolean {
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const element = box.current;
    if (seen || !element) return;
    if (typeof IntersectionObserver === "undefined") return setSeen(true);
    const watch = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setSeen(true), { rootMargin: "200px" });
    watch.observe(element);
    return () => watch.disconnect();
  }, [seen]);
  return seen;
}

/** A bar for the hour table, its length relative to the largest value (hidden from screen readers: the text says it). */
function Bar(props: { value: string | null; max: number }) {
  if (props.value == null || props.max <= 0) return null;
  const width = Math.max(0, Math.min(100, (Number(props.value) / props.max) * 100));
  return (
    <span class="hour-bar" aria-hidden="true">
      <span style={{ width: `${width}%` }} />
    </span>
  );
}

function maxOf(buckets: Bucket[]): number {
  return buckets.reduce((top, b) => Math.max(top, b.figures.confirmed_sales == null ? 0 : Number(b.figures.confirmed_sales)), 0);
}

function HourTable(props: { buckets: Bucket[]; currency: string }) {
  const c = props.currency;
  const byHour = new Map(props.buckets.map((b) => [b.hour, b]));
  const max = maxOf(props.buckets);
  return (
    <div class="table-scroll" tabIndex={0} aria-label={m("hour")}>
      <table class="hours-table" data-testid="hours-hour">
        <caption class="sr-only">{m("hour")}</caption>
        <thead>
          <tr>
            <th scope="col">{m("hourCol")}</th>
            <th scope="col" class="num">{t("gmvConfirmed")}</th>
            <th scope="col" class="num">{`${t("orders")} (${t("ordersConfirmed")})`}</th>
            <th scope="col" class="num">{t("viewers")}</th>
            <th scope="col" class="num">{m("gmvPerHour")}</th>
          </tr>
        </thead>
        <tbody>
          {HOURS.map((h) => {
            const f = byHour.get(h)?.figures;
            const why = f ? t("unknownValue") : m("noStream");
            return (
              <tr key={h} data-hour={h} class={f ? undefined : "quiet"}>
                <th scope="row" class="nowrap">{hourLabel(h)}</th>
                <td class="num" data-testid="confirmed" title={f?.confirmed_sales == null ? why : undefined}>
                  {money(f?.confirmed_sales, c)}
                  <Bar value={f?.confirmed_sales ?? null} max={max} />
                </td>
                <td class="num" title={f?.confirmed_orders == null ? why : undefined}>{count(f?.confirmed_orders)}</td>
                <td class="num" title={f?.viewers == null ? why : undefined}>{count(f?.viewers)}</td>
                <td class="num" data-testid="per-hour" title={f?.gmv_per_hour == null ? why : undefined}>{money(f?.gmv_per_hour, c)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Shade 0 (zero) .. 4 (the largest); null when unknown or no stream. */
function shade(value: string | null | undefined, max: number): number | null {
  if (value == null) return null;
  const v = Number(value);
  if (v <= 0 || max <= 0) return 0;
  return Math.min(4, Math.max(1, Math.ceil((v / max) * 4)));
}

function HeatTable(props: { buckets: Bucket[]; currency: string }) {
  const c = props.currency;
  const cells = new Map(props.buckets.map((b) => [`${b.weekday}/${b.hour}`, b]));
  const max = maxOf(props.buckets);
  return (
    <>
      <p class="muted small" id="heat-caption">{m("heatCaption", { currency: c })}</p>
      <div class="table-scroll heat-scroll" tabIndex={0} aria-labelledby="heat-caption">
        <table class="heat" data-testid="hours-heat">
          <thead>
            <tr>
              <th scope="col">{m("weekday")}</th>
              {HOURS.map((h) => (
                <th scope="col" key={h} class="num">
                  {String(h).padStart(2, "0")}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {WEEKDAYS.map((d) => {
              const name = weekdayName(d);
              return (
                <tr key={d} data-weekday={d}>
                  <th scope="row">{name}</th>
                  {HOURS.map((h) => {
                    const b = cells.get(`${d}/${h}`);
                    const value = b?.figures.confirmed_sales;
                    const level = shade(value, max);
                    const full = b ? (value == null ? `${UNKNOWN} (${t("unknownValue")})` : money(value, c)) : `${UNKNOWN} (${m("noStream")})`;
                    return (
                      <td key={h} class={level == null ? "heat-none" : `heat-${level}`} data-hour={h} data-value={value ?? ""} title={`${name} ${hourLabel(h)}: ${full}`}>
                        {value == null ? UNKNOWN : compact(value)}
                        <span class="sr-only">{` ${hourLabel(h)}: ${full}`}</span>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p class="heat-legend small muted" aria-hidden="true">
        {m("legend")} <span class="heat-0" /> <span class="heat-1" /> <span class="heat-2" /> <span class="heat-3" /> <span class="heat-4" /> {m("legendMore")}
      </p>
    </>
  );
}

function ShiftTable(props: { buckets: Bucket[]; currency: string }) {
  const c = props.currency;
  if (props.buckets.length === 0) return <Empty text={m("emptyShifts")} />;
  const gmv = (b: Bucket) => (b.figures.confirmed_sales == null ? -1 : Number(b.figures.confirmed_sales));
  const rows = [...props.buckets].sort((a, b) => gmv(b) - gmv(a));
  const max = maxOf(rows);
  return (
    <div class="table-scroll" tabIndex={0} aria-label={m("shift")}>
      <table class="hours-table wide" data-testid="hours-shift">
        <caption class="sr-only">{m("shift")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("rank")}</th>
            <th scope="col">{m("shiftCol")}</th>
            <th scope="col" class="num">{t("gmvConfirmed")}</th>
            <th scope="col" class="num">{`${t("orders")} (${t("ordersConfirmed")})`}</th>
            <th scope="col" class="num">{t("viewers")}</th>
            <th scope="col" class="num">{m("streamHours")}</th>
            <th scope="col" class="num">{m("gmvPerHour")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((b, i) => {
            const f = b.figures;
            return (
              <tr key={b.shift_id} data-shift={b.shift_id}>
                <td>{i + 1}</td>
                <th scope="row">{b.shift_name ?? b.shift_id}</th>
                <td class="num" data-testid="confirmed" title={f.confirmed_sales == null ? t("unknownValue") : undefined}>
                  {money(f.confirmed_sales, c)}
                  <Bar value={f.confirmed_sales} max={max} />
                </td>
                <td class="num">{count(f.confirmed_orders)}</td>
                <td class="num">{count(f.viewers)}</td>
                <td class="num">{count(f.hours)}</td>
                <td class="num" data-testid="per-hour">{money(f.gmv_per_hour, c)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface Option {
  id: string;
  name: string;
}

export function HoursSection(props: { studio: Studio; from: string; to: string; accounts: Option[] }) {
  const { studio, from, to } = props;
  const box = useRef<HTMLElement>(null);
  const seen = useSeen(box);
  const [group, setGroup] = useState<Group>("hour");
  const [account, setAccount] = useState("");
  const [host, setHost] = useState("");
  const [hosts, setHosts] = useState<Option[]>([]);
  const [data, setData] = useState<Load<{ group: Group; buckets: Bucket[] }>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!seen) return;
    api.GET("/api/v1/hosts", { params: { query: { studio_id: studio.studio_id } } }).then(
      ({ data: body }) => body && setHosts(body.items.map((h) => ({ id: h.host_id, name: h.name }))),
      () => setHosts([]),
    );
  }, [seen, studio.studio_id]);
  useEffect(() => {
    if (!seen) return;
    let stop = false;
    setData({ state: "loading" });
    const query = {
      date_from: from,
      date_to: to,
      studio_id: studio.studio_id,
      group,
      ...(account ? { account_id: account } : {}),
      ...(host ? { host_id: host } : {}),
    };
    api.GET("/api/v1/analytics/hours", { params: { query } }).then(
      ({ data: body }) => !stop && setData(body ? { state: "ready", value: { group, buckets: body.buckets } } : { state: "error" }),
      () => !stop && setData({ state: "error" }),
    );
    return () => {
      stop = true;
    };
  }, [seen, from, to, studio.studio_id, group, account, host, attempt]);

  return (
    <section class="card hours" aria-labelledby="hours-h" data-testid="hours" ref={box}>
      <h2 id="hours-h">{m("title")}</h2>
      <p class="muted small">{m("help", { tz: studio.timezone })}</p>
      <div class="hours-controls">
        <div class="presets" role="group" aria-label={m("group")}>
          {GROUPS.map((g) => (
            <button type="button" key={g} class={group === g ? "" : "secondary"} aria-pressed={group === g} onClick={() => setGroup(g)}>
              {m(g)}
            </button>
          ))}
        </div>
        <label>
          {m("account")}
          <select value={account} onChange={(e) => setAccount((e.target as HTMLSelectElement).value)}>
            <option value="">{m("all")}</option>
            {props.accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {m("host")}
          <select value={host} onChange={(e) => setHost((e.target as HTMLSelectElement).value)}>
            <option value="">{m("all")}</option>
            {hosts.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {data.state === "loading" && <Loading />}
      {data.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {data.state === "ready" && (
        <div data-group={data.value.group}>
          {data.value.buckets.length === 0 && data.value.group !== "shift" ? (
            <Empty text={m("empty")} />
          ) : data.value.group === "hour" ? (
            <HourTable buckets={data.value.buckets} currency={studio.currency} />
          ) : data.value.group === "weekday_hour" ? (
            <HeatTable buckets={data.value.buckets} currency={studio.currency} />
          ) : (
            <ShiftTable buckets={data.value.buckets} currency={studio.currency} />
          )}
        </div>
      )}
    </section>
  );
}
