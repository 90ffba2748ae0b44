// Live now: every account of the caller's studios, on air or not, with its session's figures, updated over the
// SSE feed (/api/v1/live) without reload. A host (who may not read accounts or the feed) sees their own sessions.
import { useEffect, useState } from "preact/hooks";
import { api, auth, refresh, type Schemas } from "../api/client";
import { type Studio, useStudios } from "../api/studios";
import type { LiveSession } from "../api/live";
import { Figure } from "../components/Figure";
import { Freshness } from "../components/Freshness";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { clock, count, dateTime, money } from "../format";
import { messages, t, uiLocale } from "../i18n";

type Account = Schemas["Account"];
type Live = LiveSession;
type Session = Schemas["SessionSummary"];
type Today = Schemas["StudioToday"];
type SoFar = Schemas["SoFar"];
type OnAirHost = Schemas["HostOnAir"];

const m = messages({
  en: {
    todayVsYesterday: "Today so far against yesterday",
    todayUntil: "Today until {time}",
    yesterdayUntil: "Yesterday until {time}",
    change: "Change",
    noSessionsYet: "No session yet",
    ordersN: "{n} orders",
    sessionsN: "{n} sessions",
    hosting: "Hosting: {names}",
    noHost: "No host rostered now (unassigned)",
    unassigned: "Unassigned",
    cardToday: "Today {today} · yesterday by now {yesterday}",
  },
  id: {
    todayVsYesterday: "Hari ini sejauh ini dibanding kemarin",
    todayUntil: "Hari ini hingga {time}",
    yesterdayUntil: "Kemarin hingga {time}",
    change: "Perubahan",
    noSessionsYet: "Belum ada sesi",
    ordersN: "{n} pesanan",
    sessionsN: "{n} sesi",
    hosting: "Host: {names}",
    noHost: "Tidak ada host terjadwal sekarang (tanpa host)",
    unassigned: "Tanpa host",
    cardToday: "Hari ini {today} · kemarin hingga jam ini {yesterday}",
  },
});

const FIRST_PAINT_WAIT_MS = 1500;

/** Reloads a read every `everyMs` (figures of the day and the roster change slowly; the feed carries the rest). */
function usePolled<T>(load: () => Promise<T | undefined>, everyMs: number): T | undefined {
  const [value, setValue] = useState<T | undefined>(undefined);
  useEffect(() => {
    let stop = false;
    const run = () => load().then((v) => !stop && v !== undefined && setValue(v), () => undefined);
    run();
    const timer = setInterval(run, everyMs);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, []);
  return value;
}

function changeText(ratio: string | null): string {
  if (ratio == null) return "—";
  return new Intl.NumberFormat(uiLocale(), { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" }).format(Number(ratio) - 1);
}

function SoFarFigure(props: { label: string; s: SoFar; currency: string; testid: string }) {
  const { s } = props;
  const unknown = s.placed_sales == null;
  const why = s.sessions === 0 ? m("noSessionsYet") : t("unknownValue");
  return (
    <div class="figure" data-testid={props.testid}>
      <dt>{props.label}</dt>
      <dd title={unknown ? why : undefined}>
        <span data-testid={`${props.testid}-gmv`}>{money(s.placed_sales, props.currency)}</span>
        {unknown && <span class="sr-only"> ({why})</span>}
      </dd>
      <dd class="small muted">
        {s.sessions === 0 ? (
          m("noSessionsYet")
        ) : (
          <>
            <span data-testid={`${props.testid}-orders`}>{m("ordersN", { n: count(s.placed_orders) })}</span> ·{" "}
            {m("sessionsN", { n: count(s.sessions) })}
          </>
        )}
      </dd>
    </div>
  );
}

/** Today's placed GMV and orders so far against yesterday up to the same local time, per studio. */
function TodayCard(props: { today: Today; name: string | undefined; several: boolean }) {
  const d = props.today;
  const ratio = d.changes.placed_sales?.ratio ?? null;
  const up = ratio != null && Number(ratio) > 1;
  const down = ratio != null && Number(ratio) < 1;
  return (
    <section class="card today" aria-labelledby={`today-${d.studio_id}`} data-studio={d.studio_id}>
      <h2 id={`today-${d.studio_id}`}>
        {m("todayVsYesterday")}
        {props.several && props.name ? ` · ${props.name}` : ""}
      </h2>
      <dl class="figures">
        <SoFarFigure label={m("todayUntil", { time: clock(d.today.until, d.timezone) })} s={d.today} currency={d.currency} testid="today" />
        <SoFarFigure label={m("yesterdayUntil", { time: clock(d.yesterday.until, d.timezone) })} s={d.yesterday} currency={d.currency} testid="yesterday" />
        <div class="figure">
          <dt>{m("change")} ({t("gmv")})</dt>
          <dd class={up ? "trend up" : down ? "trend down" : "trend"} data-testid="today-change" title={ratio == null ? t("unknownValue") : undefined}>
            {up ? "▲ " : down ? "▼ " : ""}
            {changeText(ratio)}
          </dd>
        </div>
      </dl>
    </section>
  );
}

/** On-air sessions by account from the SSE feed: its snapshot first, then one change per event. */
function useLiveFeed(enabled: boolean): {
  sessions: Map<string, Live>;
  received: Map<string, string>;
  connected: boolean;
  snapshotted: boolean;
} {
  const [sessions, setSessions] = useState(new Map<string, Live>());
  const [received, setReceived] = useState(new Map<string, string>());
  const [connected, setConnected] = useState(false);
  const [snapshotted, setSnapshotted] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    let source: EventSource | null = null;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      source = new EventSource("/api/v1/live"); // the HttpOnly ls_access cookie authenticates it (same origin)
      source.addEventListener("open", () => setConnected(true));
      source.addEventListener("snapshot", (event) => {
        const data = JSON.parse((event as MessageEvent<string>).data) as { sessions: Live[] };
        const now = new Date().toISOString();
        setSnapshotted(true);
        setReceived((old) => {
          const next = new Map(old);
          for (const s of data.sessions) next.set(s.account_id, now);
          return next;
        });
        setSessions((old) => {
          const next = new Map<string, Live>();
          for (const [key, value] of old) if (!value.on_air) next.set(key, value);
          for (const s of data.sessions) next.set(s.account_id, s);
          return next;
        });
      });
      source.addEventListener("session", (event) => {
        const s = JSON.parse((event as MessageEvent<string>).data) as Live;
        setReceived((old) => new Map(old).set(s.account_id, new Date().toISOString()));
        setSessions((old) => {
          const known = old.get(s.account_id);
          if (known && known.session_id > s.session_id) return old;
          return new Map(old).set(s.account_id, s);
        });
      });
      source.addEventListener("error", () => {
        setConnected(false);
        if (source?.readyState === EventSource.CLOSED && !stopped) {
          // Refused (e.g. the access cookie expired): renew the sign-in, then reconnect.
          retry = setTimeout(() => refresh().then((ok) => ok && !stopped && open()), 1000);
        }
      });
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [enabled]);
  return { sessions, received, connected, snapshotted };
}

/** True once `ms` have passed since the component mounted. */
function useAfter(ms: number): boolean {
  const [passed, setPassed] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setPassed(true), ms);
    return () => clearTimeout(timer);
  }, []);
  return passed;
}

function SessionFigures(props: { s: Live | Session; currency: string }) {
  const s = props.s;
  return (
    <dl class="figures">
      <Figure
        label={t("viewers")}
        value={count(s.current_viewers)}
        unknown={s.current_viewers == null}
        testid="viewers"
      />
      <Figure
        label={t("gmv")}
        value={money(s.placed_sales, props.currency)}
        unknown={s.placed_sales == null}
        big
        testid="gmv"
      />
      <Figure
        label={`${t("orders")} (${t("ordersPlaced")} / ${t("ordersConfirmed")})`}
        value={`${count(s.placed_orders)} / ${count(s.confirmed_orders)}`}
        unknown={s.placed_orders == null || s.confirmed_orders == null}
        testid="orders"
      />
      <Figure
        label={t("gmvConfirmed")}
        value={money(s.confirmed_sales, props.currency)}
        unknown={s.confirmed_sales == null}
      />
    </dl>
  );
}

/** The later of two instants (ISO strings), either may be missing. */
function latest(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a || !b) return a ?? b ?? null;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function AccountCard(props: {
  account: Account;
  live: Live | undefined;
  received: string | undefined;
  studio: Studio | undefined;
  today: Schemas["AccountToday"] | undefined;
  hosts: OnAirHost[] | undefined;
}) {
  const { account, live } = props;
  const currency = live?.currency ?? props.studio?.currency ?? "IDR";
  const tz = props.studio?.timezone ?? "Asia/Jakarta";
  const onAir = live?.on_air ?? account.on_air_session_id != null;
  // Freshness is about this page's data: the last poll the gateway reported, or the last live update received.
  const freshAt = latest(account.last_successful_poll_at, props.received);
  return (
    <article class={onAir ? "card account on-air" : "card account"} data-account={account.account_id} data-session={live?.session_id}>
      <header>
        <h2>{account.display_name ?? account.account_id}</h2>
        <span class={onAir ? "pill live" : "pill"}>{onAir ? t("onAir") : t("offAir")}</span>
      </header>
      <Freshness at={freshAt} />
      {live ? (
        <>
          <p class="title">
            <a href={`/sessions/${encodeURIComponent(live.account_id)}/${live.session_id}`}>
              {live.title ?? `${t("session")} ${live.session_id}`}
            </a>{" "}
            <span class="muted">
              {t("started")} {dateTime(live.started_at, tz)}
            </span>
          </p>
          <SessionFigures s={live} currency={currency} />
        </>
      ) : (
        <p class="muted">{t("noSession")}</p>
      )}
      {onAir && props.hosts && (
        <p class="small hosts" data-testid="hosts">
          {props.hosts.length > 0 ? m("hosting", { names: props.hosts.map((h) => h.name ?? h.host_id).join(", ") }) : m("noHost")}
        </p>
      )}
      {props.today && (
        <p class="small muted" data-testid="account-today">
          {m("cardToday", { today: money(props.today.today.placed_sales, currency), yesterday: money(props.today.yesterday.placed_sales, currency) })}
        </p>
      )}
      {account.state !== "active" && <p class="muted small">{t("accountState", { state: account.state })}</p>}
      {account.last_error && <p class="muted small">{t("pollError", { error: account.last_error })}</p>}
    </article>
  );
}

function LiveNow() {
  const studios = useStudios();
  const [accounts, setAccounts] = useState<Load<Account[]>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const { sessions, received, connected, snapshotted } = useLiveFeed(true);
  const today = usePolled(() => api.GET("/api/v1/analytics/today").then(({ data }) => data?.items), 60_000);
  const onAir = usePolled(() => api.GET("/api/v1/hosts/on-air").then(({ data }) => data?.items), 60_000);
  const waited = useAfter(FIRST_PAINT_WAIT_MS);
  const hostsOf = (accountId: string) => onAir?.filter((h) => h.account_id === accountId);
  // accounts without a session today or yesterday are not listed: their cards show no comparison line
  const todayOf = (accountId: string) => today?.flatMap((s) => s.accounts).find((a) => a.account_id === accountId);
  useEffect(() => {
    setAccounts({ state: "loading" });
    let first = true;
    const load = () =>
      api.GET("/api/v1/accounts", { params: { query: { limit: 200 } } }).then(
        ({ data }) => {
          if (data) setAccounts({ state: "ready", value: data.items });
          else if (first) setAccounts({ state: "error" });
          first = false;
        },
        () => first && setAccounts({ state: "error" }),
      );
    load();
    const timer = setInterval(load, 30_000); // polling health and new accounts; figures come over the feed
    return () => clearInterval(timer);
  }, [attempt]);
  // The first paint of the cards waits (at most FIRST_PAINT_WAIT_MS) for what fills them (the feed's snapshot,
  // today's figures, the hosts on air): cards growing or changing places as each arrives is a layout shift.
  const settled = (snapshotted && today !== undefined && onAir !== undefined) || waited;
  const shown = accounts.state === "ready" && settled;
  const onAirFirst = (a: Account) => Number(sessions.get(a.account_id)?.on_air ?? a.on_air_session_id != null);
  return (
    <main id="main">
      <div class="page-head">
        <h1>{t("liveNow")}</h1>
        <span class={connected ? "feed on" : "feed"} role="status" data-testid="feed">
          {connected ? t("liveConnected") : t("liveReconnecting")}
        </span>
      </div>
      {shown &&
        today?.map((d) => (
          <TodayCard key={d.studio_id} today={d} name={studios.get(d.studio_id)?.name} several={today.length > 1} />
        ))}
      {(accounts.state === "loading" || (accounts.state === "ready" && !settled)) && <Loading />}
      {accounts.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {shown && accounts.value.length === 0 && <Empty text={t("empty")} />}
      {shown && (
        <div class="grid">
          {[...accounts.value]
            .sort((a, b) => onAirFirst(b) - onAirFirst(a))
            .map((a) => (
              <AccountCard
                key={a.account_id}
                account={a}
                live={sessions.get(a.account_id)}
                received={received.get(a.account_id)}
                studio={studios.get(a.studio_id)}
                today={todayOf(a.account_id)}
                hosts={hostsOf(a.account_id)}
              />
            ))}
        </div>
      )}
    </main>
  );
}

function MySessions() {
  const studios = useStudios();
  const [sessions, setSessions] = useState<Load<Session[]>>({ state: "loading" });
  const [loadedAt, setLoadedAt] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const load = () =>
      api.GET("/api/v1/sessions", { params: { query: { limit: 50 } } }).then(
        ({ data }) => {
          setSessions(data ? { state: "ready", value: data.items } : { state: "error" });
          if (data) setLoadedAt(new Date().toISOString());
        },
        () => setSessions({ state: "error" }),
      );
    load();
    const timer = setInterval(load, 10_000);
    return () => clearInterval(timer);
  }, [attempt]);
  return (
    <main id="main">
      <div class="page-head">
        <h1>{t("mySessions")}</h1>
        <Freshness at={loadedAt} />
      </div>
      {sessions.state === "loading" && <Loading />}
      {sessions.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {sessions.state === "ready" && sessions.value.length === 0 && <Empty text={t("emptySessions")} />}
      {sessions.state === "ready" && (
        <div class="grid">
          {sessions.value.map((s) => {
            const tz = studios.get(s.studio_id)?.timezone ?? s.timezone;
            return (
              <article class={s.on_air ? "card account on-air" : "card account"} key={`${s.account_id}/${s.session_id}`} data-account={s.account_id} data-session={s.session_id}>
                <header>
                  <h2>
                    <a href={`/sessions/${encodeURIComponent(s.account_id)}/${s.session_id}`}>
                      {s.title ?? `${t("session")} ${s.session_id}`}
                    </a>
                  </h2>
                  <span class={s.on_air ? "pill live" : "pill"}>{s.on_air ? t("onAir") : t("offAir")}</span>
                </header>
                <p class="muted">
                  {s.account_id} · {t("started")} {dateTime(s.started_at, tz)}
                </p>
                <SessionFigures s={s} currency={s.currency} />
              </article>
            );
          })}
        </div>
      )}
    </main>
  );
}

export function Home() {
  return auth()?.me.role === "host" ? <MySessions /> : <LiveNow />;
}
