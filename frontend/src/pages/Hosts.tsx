// Hosts and roster (owners and managers): the hosts' leaderboard and per-host performance over the week shown, and
// the week's calendar of schedule entries with their check-ins (a column per day on a desktop, a list per day on
// a phone). Entries are created and moved (another time or account) through PUT /schedule/{entry_id}; a refusal
// is shown with its reason. Below, the week's attendance (AttendanceSection.tsx) with a correction per entry and,
// for owners and managers, the studio's settings (StudioSettingsSection.tsx: timezone, holidays, grace, policy).
// The week is in the URL (?week=YYYY-MM-DD), days and times in the studio's timezone.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { settle } from "../api/commands";
import { type Studio, useStudios } from "../api/studios";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { AttendanceCard } from "./AttendanceSection";
import { StudioSettingsCard } from "./StudioSettingsSection";
import { UNKNOWN, clock, count, money } from "../format";
import { messages, uiLocale, useLang } from "../i18n";

type Entry = Schemas["ScheduleEntry"];
type Check = Schemas["CheckEvent"];
type Host = Schemas["Host"];
type Account = Schemas["Account"];
type Ranked = Schemas["LeaderboardEntry"];
type Performance = Schemas["HostPerformanceDetail"];

const m = messages({
  en: {
    title: "Hosts and roster",
    studio: "Studio",
    leaderboard: "Leaderboard",
    leaderboardEmpty: "No attributed sessions in this week yet.",
    rank: "Rank",
    host: "Host",
    gmv: "GMV (confirmed)",
    orders: "Orders (confirmed)",
    hours: "On-air hours",
    perHour: "GMV per hour",
    sessions: "Sessions",
    performanceOf: "Performance of {name}",
    day: "Day",
    close: "Close",
    week: "Week of {range}",
    schedule: "Schedule",
    previous: "Previous week",
    next: "Next week",
    thisWeek: "This week",
    noEntries: "No entries",
    checkedIn: "in {time}",
    checkedOut: "out {time}",
    noCheckIn: "no check-in",
    unknownTime: "time not known yet (shift {shift})",
    otherChecks: "Other check-ins",
    edit: "Move {what}",
    newEntry: "New entry",
    moveEntry: "Move entry",
    account: "Account",
    date: "Day",
    start: "Start",
    end: "End",
    endHint: "An end at or before the start is on the next day.",
    save: "Save",
    create: "Create entry",
    cancel: "Cancel",
    remove: "Remove",
    confirmRemove: "Remove this entry? Sessions in its window go to the unassigned bucket.",
    yesRemove: "Yes, remove",
    keep: "Keep",
    saving: "Saving…",
    saved: "Saved.",
    removed: "Removed.",
    refused: "Not saved: {reason}",
    pickHost: "Choose a host and an account.",
    shift: "shift {shift}",
    timesIn: "Times in {tz}",
  },
  id: {
    title: "Host dan jadwal",
    studio: "Studio",
    leaderboard: "Peringkat",
    leaderboardEmpty: "Belum ada sesi yang diatribusikan minggu ini.",
    rank: "Peringkat",
    host: "Host",
    gmv: "GMV (terkonfirmasi)",
    orders: "Pesanan (terkonfirmasi)",
    hours: "Jam siaran",
    perHour: "GMV per jam",
    sessions: "Sesi",
    performanceOf: "Kinerja {name}",
    day: "Hari",
    close: "Tutup",
    week: "Minggu {range}",
    schedule: "Jadwal",
    previous: "Minggu sebelumnya",
    next: "Minggu berikutnya",
    thisWeek: "Minggu ini",
    noEntries: "Tidak ada jadwal",
    checkedIn: "masuk {time}",
    checkedOut: "keluar {time}",
    noCheckIn: "belum check-in",
    unknownTime: "waktu belum diketahui (shift {shift})",
    otherChecks: "Check-in lain",
    edit: "Pindahkan {what}",
    newEntry: "Jadwal baru",
    moveEntry: "Pindahkan jadwal",
    account: "Akun",
    date: "Hari",
    start: "Mulai",
    end: "Selesai",
    endHint: "Selesai sama dengan atau sebelum mulai berarti hari berikutnya.",
    save: "Simpan",
    create: "Buat jadwal",
    cancel: "Batal",
    remove: "Hapus",
    confirmRemove: "Hapus jadwal ini? Sesi di jendelanya masuk ke kelompok tanpa host.",
    yesRemove: "Ya, hapus",
    keep: "Simpan jadwal",
    saving: "Menyimpan…",
    saved: "Tersimpan.",
    removed: "Terhapus.",
    refused: "Tidak tersimpan: {reason}",
    pickHost: "Pilih host dan akun.",
    shift: "shift {shift}",
    timesIn: "Waktu dalam {tz}",
  },
});

// --- local days and times in the studio's timezone ------------------------------------------------------------
const dayFormats = new Map<string, Intl.DateTimeFormat>();
/** "YYYY-MM-DD" of an instant in `timeZone`. */
function localDay(at: Date, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (!f) dayFormats.set(timeZone, (f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })));
  return f.format(at);
}

function parseDay(day: string): number {
  const [y, mo, d] = day.split("-").map(Number);
  return Date.UTC(y, mo - 1, d);
}

function addDays(day: string, n: number): string {
  return new Date(parseDay(day) + n * 86_400_000).toISOString().slice(0, 10);
}

function mondayOf(day: string): string {
  const weekday = (new Date(parseDay(day)).getUTCDay() + 6) % 7; // Monday = 0
  return addDays(day, -weekday);
}

/** Offset (ms) of `timeZone` from UTC at the instant `utc`. */
function offsetAt(utc: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utc));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second")) - utc;
}

/** The UTC instant of local `day` `time` ("HH:MM") in `timeZone`, as an ISO string. */
function zonedToUtc(day: string, time: string, timeZone: string): string {
  const [h, mi] = time.split(":").map(Number);
  const wall = parseDay(day) + (h * 60 + mi) * 60_000;
  let utc = wall - offsetAt(wall, timeZone);
  utc = wall - offsetAt(utc, timeZone); // once more across an offset change
  return new Date(utc).toISOString();
}

function hhmm(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
}

function dayLabel(day: string, style: "long" | "short"): string {
  return new Intl.DateTimeFormat(uiLocale(), {
    timeZone: "UTC",
    weekday: style,
    day: "numeric",
    month: "short",
  }).format(new Date(parseDay(day)));
}

function weekFromUrl(): string | null {
  const value = new URLSearchParams(location.search).get("week");
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? mondayOf(value) : null;
}

function hours(ms: number | null | undefined): string {
  if (ms == null) return UNKNOWN;
  return new Intl.NumberFormat(uiLocale(), { maximumFractionDigits: 1 }).format(ms / 3_600_000);
}

const newId = () => `e-${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;

// --- data -----------------------------------------------------------------------------------------------------
interface Week {
  entries: Entry[];
  checks: Check[];
}

async function allPages<T>(fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null } | undefined>): Promise<T[] | null> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await fetchPage(cursor);
    if (!page) return null;
    items.push(...page.items);
    if (!page.next_cursor) return items;
    cursor = page.next_cursor;
  }
  return items;
}

async function loadWeek(studioId: string, monday: string): Promise<Week | null> {
  const [entries, checks] = await Promise.all([
    allPages<Entry>((cursor) =>
      api.GET("/api/v1/schedule", { params: { query: { studio_id: studioId, week: monday, cursor, limit: 200 } } }).then((r) => r.data),
    ),
    allPages<Check>((cursor) =>
      api.GET("/api/v1/check-ins", { params: { query: { studio_id: studioId, week: monday, cursor, limit: 200 } } }).then((r) => r.data),
    ),
  ]);
  return entries && checks ? { entries, checks } : null;
}

// --- leaderboard ----------------------------------------------------------------------------------------------
function LeaderboardCard(props: { studio: Studio; from: string; to: string; hosts: Map<string, Host> }) {
  const { studio, from, to } = props;
  const [rows, setRows] = useState<Load<Ranked[]>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [chosen, setChosen] = useState<string | null>(null);
  useEffect(() => {
    setRows({ state: "loading" });
    api
      .GET("/api/v1/hosts/leaderboard", { params: { query: { studio_id: studio.studio_id, date_from: from, date_to: to, limit: 50 } } })
      .then(
        ({ data }) => setRows(data ? { state: "ready", value: data.items } : { state: "error" }),
        () => setRows({ state: "error" }),
      );
  }, [studio.studio_id, from, to, attempt]);
  return (
    <section class="card" aria-labelledby="leaderboard-h">
      <h2 id="leaderboard-h">{m("leaderboard")}</h2>
      {rows.state === "loading" && <Loading />}
      {rows.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {rows.state === "ready" && rows.value.length === 0 && <Empty text={m("leaderboardEmpty")} />}
      {rows.state === "ready" && rows.value.length > 0 && (
        <div class="table-scroll">
          <table data-testid="leaderboard">
            <thead>
              <tr>
                <th scope="col">{m("rank")}</th>
                <th scope="col">{m("host")}</th>
                <th scope="col" class="num">{m("gmv")}</th>
                <th scope="col" class="num">{m("orders")}</th>
                <th scope="col" class="num">{m("hours")}</th>
                <th scope="col" class="num">{m("perHour")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.value.map((r) => (
                <tr key={r.host_id} data-host={r.host_id}>
                  <td>{r.rank}</td>
                  <th scope="row">
                    <button type="button" class="linkish" aria-expanded={chosen === r.host_id} onClick={() => setChosen(chosen === r.host_id ? null : r.host_id)}>
                      {r.name ?? props.hosts.get(r.host_id)?.name ?? r.host_id}
                    </button>
                  </th>
                  <td class="num">{money(r.figures.confirmed_sales, studio.currency)}</td>
                  <td class="num">{count(r.figures.confirmed_orders)}</td>
                  <td class="num">{hours(r.figures.on_air_ms)}</td>
                  <td class="num">{money(r.figures.gmv_per_on_air_hour, studio.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {chosen && <HostDays hostId={chosen} studio={studio} from={from} to={to} onClose={() => setChosen(null)} />}
    </section>
  );
}

function HostDays(props: { hostId: string; studio: Studio; from: string; to: string; onClose: () => void }) {
  const [perf, setPerf] = useState<Load<Performance>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    setPerf({ state: "loading" });
    api
      .GET("/api/v1/hosts/{host_id}/performance", { params: { path: { host_id: props.hostId }, query: { date_from: props.from, date_to: props.to } } })
      .then(
        ({ data }) => setPerf(data ? { state: "ready", value: data } : { state: "error" }),
        () => setPerf({ state: "error" }),
      );
  }, [props.hostId, props.from, props.to, attempt]);
  const currency = props.studio.currency;
  return (
    <div class="host-days" data-testid="host-performance">
      {perf.state === "loading" && <Loading />}
      {perf.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {perf.state === "ready" && (
        <>
          <div class="page-head">
            <h3>{m("performanceOf", { name: perf.value.name ?? perf.value.host_id })}</h3>
            <button type="button" class="secondary" onClick={props.onClose}>
              {m("close")}
            </button>
          </div>
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{m("day")}</th>
                  <th scope="col" class="num">{m("sessions")}</th>
                  <th scope="col" class="num">{m("gmv")}</th>
                  <th scope="col" class="num">{m("orders")}</th>
                  <th scope="col" class="num">{m("hours")}</th>
                </tr>
              </thead>
              <tbody>
                {perf.value.days.map((d) => (
                  <tr key={d.day}>
                    <th scope="row">{dayLabel(d.day, "short")}</th>
                    <td class="num">{count(d.figures.sessions)}</td>
                    <td class="num">{money(d.figures.confirmed_sales, currency)}</td>
                    <td class="num">{count(d.figures.confirmed_orders)}</td>
                    <td class="num">{hours(d.figures.on_air_ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

// --- the week's calendar --------------------------------------------------------------------------------------
/** The check events of an entry: the host's on the entry's account from 30 minutes before it to its end. */
function checksOf(entry: Entry, checks: Check[]): Check[] {
  if (!entry.starts_at || !entry.ends_at) return [];
  const lo = Date.parse(entry.starts_at) - 30 * 60_000;
  const hi = Date.parse(entry.ends_at) + 30 * 60_000;
  return checks.filter((c) => c.host_id === entry.host_id && c.account_id === entry.account_id && Date.parse(c.at) >= lo && Date.parse(c.at) <= hi);
}

function EntryItem(props: { entry: Entry; checks: Check[]; tz: string; hostName: string; accountName: string; selected: boolean; onSelect: () => void }) {
  const { entry, tz } = props;
  const ins = props.checks.filter((c) => c.kind === "in");
  const outs = props.checks.filter((c) => c.kind === "out");
  const past = entry.starts_at != null && Date.parse(entry.starts_at) < Date.now();
  const when = entry.starts_at && entry.ends_at ? `${hhmm(entry.starts_at, tz)}–${hhmm(entry.ends_at, tz)}` : m("unknownTime", { shift: entry.shift_id ?? "" });
  return (
    <li class={props.selected ? "entry selected" : "entry"} data-entry={entry.entry_id}>
      <button type="button" aria-pressed={props.selected} aria-label={m("edit", { what: `${when} ${props.hostName} ${props.accountName}` })} onClick={props.onSelect}>
        <span class="when">{when}</span>
        <span class="who">{props.hostName}</span>
        <span class="where">{props.accountName}</span>
        {entry.shift_id && <span class="pill">{m("shift", { shift: entry.shift_id })}</span>}
      </button>
      <p class="checks small" data-testid="checks">
        {ins.length > 0 && <span class="check in">{m("checkedIn", { time: hhmm(ins[0].at, tz) })}</span>}
        {outs.length > 0 && <span class="check out">{m("checkedOut", { time: hhmm(outs[outs.length - 1].at, tz) })}</span>}
        {ins.length === 0 && past && <span class="check none">{m("noCheckIn")}</span>}
      </p>
    </li>
  );
}

interface Draft {
  entryId: string | null; // null: a new entry
  hostId: string;
  accountId: string;
  day: string;
  start: string;
  end: string;
  share: string;
}

function EntryForm(props: {
  studio: Studio;
  draft: Draft;
  hosts: Host[];
  accounts: Account[];
  onChange: (draft: Draft) => void;
  onDone: (day: string) => void;
  onCancel: () => void;
}) {
  const { draft, studio } = props;
  const [status, setStatus] = useState<{ kind: "idle" | "saving" | "saved" | "removed" } | { kind: "error"; text: string }>({ kind: "idle" });
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    setConfirming(false);
  }, [draft.entryId]);
  const set = (field: keyof Draft) => (event: Event) => props.onChange({ ...draft, [field]: (event.currentTarget as HTMLInputElement).value });
  const save = async (event: Event) => {
    event.preventDefault();
    if (!draft.hostId || !draft.accountId) {
      setStatus({ kind: "error", text: m("pickHost") });
      return;
    }
    setStatus({ kind: "saving" });
    const startsAt = zonedToUtc(draft.day, draft.start, studio.timezone);
    const endDay = draft.end <= draft.start ? addDays(draft.day, 1) : draft.day;
    const endsAt = zonedToUtc(endDay, draft.end, studio.timezone);
    const entryId = draft.entryId ?? newId();
    const { data, response } = await api.PUT("/api/v1/studios/{studio_id}/schedule/{entry_id}", {
      params: { path: { studio_id: studio.studio_id, entry_id: entryId } },
      body: { host_id: draft.hostId, account_id: draft.accountId, starts_at: startsAt, ends_at: endsAt, share: draft.share },
    });
    const outcome = await settle(data, response);
    if (outcome.ok) {
      setStatus({ kind: "saved" });
      props.onDone(draft.day);
    } else setStatus({ kind: "error", text: m("refused", { reason: outcome.error }) });
  };
  const remove = async () => {
    if (!draft.entryId) return;
    setStatus({ kind: "saving" });
    const { data, response } = await api.DELETE("/api/v1/studios/{studio_id}/schedule/{entry_id}", {
      params: { path: { studio_id: studio.studio_id, entry_id: draft.entryId } },
    });
    const outcome = await settle(data, response);
    setConfirming(false);
    if (outcome.ok) {
      setStatus({ kind: "removed" });
      props.onDone(draft.day);
    } else setStatus({ kind: "error", text: m("refused", { reason: outcome.error }) });
  };
  const busy = status.kind === "saving";
  return (
    <section class="card entry-form" aria-labelledby="entry-form-h">
      <h2 id="entry-form-h">{draft.entryId ? m("moveEntry") : m("newEntry")}</h2>
      <form onSubmit={save}>
        <label>
          {m("host")}
          <select value={draft.hostId} onChange={set("hostId")} required>
            <option value="">—</option>
            {props.hosts.map((h) => (
              <option key={h.host_id} value={h.host_id}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {m("account")}
          <select value={draft.accountId} onChange={set("accountId")} required>
            <option value="">—</option>
            {props.accounts.map((a) => (
              <option key={a.account_id} value={a.account_id}>
                {a.display_name ?? a.account_id}
              </option>
            ))}
          </select>
        </label>
        <label>
          {m("date")}
          <input type="date" value={draft.day} onInput={set("day")} required />
        </label>
        <label>
          {m("start")}
          <input type="time" value={draft.start} onInput={set("start")} required />
        </label>
        <label>
          {m("end")}
          <input type="time" value={draft.end} onInput={set("end")} aria-describedby="end-hint" required />
        </label>
        <p class="muted small" id="end-hint">
          {m("endHint")} {m("timesIn", { tz: studio.timezone })}
        </p>
        <div class="actions">
          <button type="submit" disabled={busy}>
            {draft.entryId ? m("save") : m("create")}
          </button>
          {draft.entryId && (
            <button type="button" class="secondary" onClick={props.onCancel} disabled={busy}>
              {m("cancel")}
            </button>
          )}
          {draft.entryId && !confirming && (
            <button type="button" class="danger" onClick={() => setConfirming(true)} disabled={busy}>
              {m("remove")}
            </button>
          )}
        </div>
        {confirming && (
          <div class="confirm" role="alertdialog" aria-labelledby="confirm-remove">
            <p id="confirm-remove">{m("confirmRemove")}</p>
            <button type="button" class="danger" onClick={remove} disabled={busy}>
              {m("yesRemove")}
            </button>{" "}
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              {m("keep")}
            </button>
          </div>
        )}
        {status.kind === "saving" && <p role="status">{m("saving")}</p>}
        {status.kind === "saved" && <p role="status" class="ok">{m("saved")}</p>}
        {status.kind === "removed" && <p role="status" class="ok">{m("removed")}</p>}
        {status.kind === "error" && (
          <p role="alert" class="error" data-testid="refusal">
            {status.text}
          </p>
        )}
      </form>
    </section>
  );
}

function Roster(props: { studio: Studio; onStudioSaved: (studio: Studio) => void }) {
  const { studio } = props;
  const tz = studio.timezone;
  const [monday, setMonday] = useState(() => weekFromUrl() ?? mondayOf(localDay(new Date(), tz)));
  const [week, setWeek] = useState<Load<Week>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [hosts, setHosts] = useState<Host[]>([]);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const blank = (day: string): Draft => ({ entryId: null, hostId: "", accountId: "", day, start: "08:00", end: "12:00", share: "1" });
  const [draft, setDraft] = useState<Draft>(() => blank(monday));
  useEffect(() => {
    api.GET("/api/v1/hosts", { params: { query: { studio_id: studio.studio_id } } }).then(({ data }) => data && setHosts(data.items));
    api.GET("/api/v1/accounts", { params: { query: { limit: 200 } } }).then(({ data }) => data && setAccounts(data.items.filter((a) => a.studio_id === studio.studio_id)));
  }, [studio.studio_id]);
  useEffect(() => {
    let current = true;
    setWeek((old) => (old.state === "ready" ? old : { state: "loading" }));
    loadWeek(studio.studio_id, monday).then(
      (value) => current && setWeek(value ? { state: "ready", value } : { state: "error" }),
      () => current && setWeek({ state: "error" }),
    );
    return () => {
      current = false;
    };
  }, [studio.studio_id, monday, attempt]);
  const go = (next: string) => {
    history.replaceState(null, "", `/hosts?week=${next}`);
    setWeek({ state: "loading" });
    setMonday(next);
    if (draft.entryId === null) setDraft({ ...draft, day: next });
  };
  const sunday = addDays(monday, 6);
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  const hostById = new Map(hosts.map((h) => [h.host_id, h]));
  const accountById = new Map(accounts.map((a) => [a.account_id, a]));
  const select = (entry: Entry) => {
    if (!entry.starts_at || !entry.ends_at) return;
    setDraft({
      entryId: entry.entry_id,
      hostId: entry.host_id,
      accountId: entry.account_id,
      day: localDay(new Date(entry.starts_at), tz),
      start: hhmm(entry.starts_at, tz),
      end: hhmm(entry.ends_at, tz),
      share: entry.share,
    });
    document.getElementById("entry-form-h")?.scrollIntoView({ block: "nearest" });
  };
  const range = `${dayLabel(monday, "short")} – ${dayLabel(sunday, "short")} ${monday.slice(0, 4)}`;
  return (
    <>
      <LeaderboardCard studio={studio} from={monday} to={sunday} hosts={hostById} />
      <section class="card" aria-labelledby="schedule-h">
        <div class="page-head">
          <h2 id="schedule-h">{m("week", { range })}</h2>
          <div class="week-nav">
            <button type="button" class="secondary" onClick={() => go(addDays(monday, -7))}>
              ← <span>{m("previous")}</span>
            </button>
            <button type="button" class="secondary" onClick={() => go(mondayOf(localDay(new Date(), tz)))}>
              {m("thisWeek")}
            </button>
            <button type="button" class="secondary" onClick={() => go(addDays(monday, 7))}>
              <span>{m("next")}</span> →
            </button>
          </div>
        </div>
        {week.state === "loading" && <Loading />}
        {week.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
        {week.state === "ready" && (
          <div class="week" data-testid="week" data-week={monday}>
            {days.map((day) => {
              const entries = week.value.entries.filter((e) => e.local_day === day);
              return (
                <section class="day" key={day} data-day={day} aria-labelledby={`day-${day}`}>
                  <h3 id={`day-${day}`}>{dayLabel(day, "long")}</h3>
                  {entries.length === 0 ? (
                    <p class="muted small">{m("noEntries")}</p>
                  ) : (
                    <ul>
                      {entries.map((e) => (
                        <EntryItem
                          key={e.entry_id}
                          entry={e}
                          checks={checksOf(e, week.value.checks)}
                          tz={tz}
                          hostName={hostById.get(e.host_id)?.name ?? e.host_id}
                          accountName={accountById.get(e.account_id)?.display_name ?? e.account_id}
                          selected={draft.entryId === e.entry_id}
                          onSelect={() => select(e)}
                        />
                      ))}
                    </ul>
                  )}
                </section>
              );
            })}
          </div>
        )}
        {week.state === "ready" && <OtherChecks week={week.value} tz={tz} hosts={hostById} />}
      </section>
      <AttendanceCard studio={studio} from={monday} to={sunday} hosts={hostById} />
      <StudioSettingsCard studio={studio} onSaved={props.onStudioSaved} />
      <EntryForm
        studio={studio}
        draft={draft}
        hosts={hosts}
        accounts={accounts}
        onChange={setDraft}
        onCancel={() => setDraft(blank(draft.day))}
        onDone={(day) => {
          setDraft(blank(day));
          setAttempt((n) => n + 1);
        }}
      />
    </>
  );
}

/** Check events of the week that match no entry (a check-in without a schedule entry is worth seeing). */
function OtherChecks(props: { week: Week; tz: string; hosts: Map<string, Host> }) {
  const matched = new Set(props.week.entries.flatMap((e) => checksOf(e, props.week.checks).map((c) => c.check_id)));
  const other = props.week.checks.filter((c) => !matched.has(c.check_id));
  if (other.length === 0) return null;
  return (
    <details class="other-checks">
      <summary>
        {m("otherChecks")} ({other.length})
      </summary>
      <ul>
        {other.map((c) => (
          <li key={c.check_id}>
            {props.hosts.get(c.host_id)?.name ?? c.host_id} · {c.account_id} · {c.kind === "in" ? m("checkedIn", { time: clock(c.at, props.tz) }) : m("checkedOut", { time: clock(c.at, props.tz) })}
          </li>
        ))}
      </ul>
    </details>
  );
}

export function HostsPage() {
  useLang();
  const studios = useStudios();
  const [chosen, setChosen] = useState<string | null>(null);
  const [saved, setSaved] = useState(new Map<string, Studio>()); // settings saved on this page, newer than the list
  const list = [...studios.values()].map((s) => saved.get(s.studio_id) ?? s);
  const studio = (chosen ? list.find((s) => s.studio_id === chosen) : undefined) ?? list[0];
  return (
    <main id="main">
      <div class="page-head">
        <h1>{m("title")}</h1>
        {list.length > 1 && (
          <label class="inline">
            {m("studio")}{" "}
            <select value={studio?.studio_id} onChange={(e) => setChosen((e.currentTarget as HTMLSelectElement).value)}>
              {list.map((s) => (
                <option key={s.studio_id} value={s.studio_id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {studio ? (
        <Roster key={studio.studio_id} studio={studio} onStudioSaved={(s) => setSaved(new Map(saved).set(s.studio_id, s))} />
      ) : (
        <Loading />
      )}
    </main>
  );
}
