// Pay statements, shared by the pay page (owners and managers: approve, pay, void) and a host's own pay (read
// only; the API scopes the list, the detail and the CSV files to the host). Filters by studio, month and status;
// a statement's lines in a detail panel; CSV of the list and of a statement's lines.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { settle } from "../api/commands";
import { download, query } from "../api/download";
import { type Studio, useStudios } from "../api/studios";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { count, dateTime, money, UNKNOWN } from "../format";
import { messages, t, uiLocale, useLang } from "../i18n";

type Statement = Schemas["Statement"];
type Line = Schemas["StatementLine"];
type Status = "calculated" | "approved" | "paid" | "void";
type Action = "approve" | "pay" | "void";

const m = messages({
  en: {
    statements: "Statements",
    filters: "Filters",
    month: "Month",
    allMonths: "leave empty for every period",
    status: "Status",
    anyStatus: "Any status",
    calculated: "Calculated",
    approved: "Approved",
    paid: "Paid",
    void: "Void",
    host: "Host",
    period: "Period",
    total: "Total",
    actions: "Open",
    showLines: "Lines",
    lines: "Lines of {host}, {period}",
    noStatements: "No statements for these filters.",
    noLines: "This statement has no lines yet.",
    kind: "Kind",
    earning: "Earning",
    adjustment: "Adjustment",
    description: "Rule",
    session: "Session",
    base: "Base",
    amount: "Amount",
    downloadList: "Download CSV",
    downloadLines: "Download lines (CSV)",
    downloadFailed: "The download failed ({status}).",
    approve: "Approve",
    pay: "Mark paid",
    voidIt: "Void",
    confirmApprove: "Approve the statement of {host} for {period} ({total})? It will not change afterwards; later differences go to the next period.",
    confirmPay: "Mark the statement of {host} for {period} ({total}) as paid? This cannot be undone.",
    confirmVoid: "Void the statement of {host} for {period} ({total})? The period is recalculated in a new statement.",
    reason: "Reason (shown in the audit trail)",
    approvedDone: "Approved.",
    paidDone: "Marked paid.",
    voidDone: "Voided; the period is recalculated.",
    approvedBy: "Approved by {who}, {at}",
    paidBy: "Paid by {who}, {at}",
    close: "Close",
    loadMore: "Load more",
    totalUnknown: "Not calculated yet",
    sessionLink: "Session {id}",
    lineSum: "Sum of lines",
    attendance: "Attendance in the period: {on_time} on time, {late} late ({late_minutes} min), {left_early} left early, {absent} absent",
  },
  id: {
    statements: "Slip gaji",
    filters: "Filter",
    month: "Bulan",
    allMonths: "kosongkan untuk semua periode",
    status: "Status",
    anyStatus: "Semua status",
    calculated: "Dihitung",
    approved: "Disetujui",
    paid: "Dibayar",
    void: "Batal",
    host: "Host",
    period: "Periode",
    total: "Total",
    actions: "Buka",
    showLines: "Rincian",
    lines: "Rincian {host}, {period}",
    noStatements: "Tidak ada slip gaji untuk filter ini.",
    noLines: "Slip ini belum memiliki rincian.",
    kind: "Jenis",
    earning: "Pendapatan",
    adjustment: "Penyesuaian",
    description: "Aturan",
    session: "Sesi",
    base: "Dasar",
    amount: "Jumlah",
    downloadList: "Unduh CSV",
    downloadLines: "Unduh rincian (CSV)",
    downloadFailed: "Unduhan gagal ({status}).",
    approve: "Setujui",
    pay: "Tandai dibayar",
    voidIt: "Batalkan",
    confirmApprove: "Setujui slip {host} untuk {period} ({total})? Slip tidak berubah lagi; selisih berikutnya masuk ke periode berikutnya.",
    confirmPay: "Tandai slip {host} untuk {period} ({total}) sebagai dibayar? Ini tidak dapat dibatalkan.",
    confirmVoid: "Batalkan slip {host} untuk {period} ({total})? Periode ini dihitung ulang dalam slip baru.",
    reason: "Alasan (tercatat di jejak audit)",
    approvedDone: "Disetujui.",
    paidDone: "Ditandai dibayar.",
    voidDone: "Dibatalkan; periode dihitung ulang.",
    approvedBy: "Disetujui oleh {who}, {at}",
    paidBy: "Dibayar oleh {who}, {at}",
    close: "Tutup",
    loadMore: "Muat lagi",
    totalUnknown: "Belum dihitung",
    sessionLink: "Sesi {id}",
    lineSum: "Jumlah rincian",
    attendance: "Kehadiran periode ini: {on_time} tepat waktu, {late} terlambat ({late_minutes} menit), {left_early} pulang awal, {absent} tidak hadir",
  },
});

const STATUSES: Status[] = ["calculated", "approved", "paid", "void"];
const DONE: Record<Action, "approvedDone" | "paidDone" | "voidDone"> = {
  approve: "approvedDone",
  pay: "paidDone",
  void: "voidDone",
};

function statusLabel(status: string): string {
  return (STATUSES as string[]).includes(status) ? m(status as Status) : status;
}

/** "1–30 Jun 2025" in the UI language (days are calendar days: no timezone shift). */
function period(s: Statement): string {
  const format = new Intl.DateTimeFormat(uiLocale(), { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  return format.formatRange(new Date(`${s.period_start}T00:00:00Z`), new Date(`${s.period_end}T00:00:00Z`));
}

/** A line's base (GMV, orders or hours, by rule) as a plain number; null is "—". */
function base(value: string | null): string {
  if (value === null) return UNKNOWN;
  return new Intl.NumberFormat(uiLocale(), { maximumFractionDigits: 4 }).format(value as unknown as number);
}

/** First and last day of a `YYYY-MM` month. */
function monthRange(month: string): { from: string; to: string } | null {
  const found = /^(\d{4})-(\d{2})$/.exec(month);
  if (!found) return null;
  const last = new Date(Date.UTC(Number(found[1]), Number(found[2]), 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, "0")}` };
}

function actionsFor(status: string): Action[] {
  if (status === "calculated") return ["approve", "void"];
  if (status === "approved") return ["pay", "void"];
  return [];
}

function Confirm(props: {
  action: Action;
  text: string;
  busy: boolean;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) {
  const [reason, setReason] = useState("");
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.querySelector<HTMLElement>("textarea, button")?.focus(), []);
  return (
    <div ref={box} class="confirm" role="group" aria-labelledby="confirm-text">
      <p id="confirm-text">{props.text}</p>
      {props.action === "void" && (
        <>
          <label for="void-reason">{m("reason")}</label>
          <textarea id="void-reason" rows={2} maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </>
      )}
      <div class="actions">
        <button
          type="button"
          class={props.action === "void" ? "danger" : undefined}
          disabled={props.busy}
          onClick={() => props.onConfirm(reason.trim())}
        >
          {props.busy ? t("saving") : t("confirm")}
        </button>
        <button type="button" class="secondary" disabled={props.busy} onClick={props.onCancel}>
          {t("cancel")}
        </button>
      </div>
    </div>
  );
}

function Detail(props: {
  id: string;
  manage: boolean;
  hostName: (id: string) => string;
  studio: Studio | undefined;
  onChanged: () => void;
  onClose: () => void;
}) {
  const [detail, setDetail] = useState<Load<Schemas["StatementDetail"]>>({ state: "loading" });
  const [asking, setAsking] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let stop = false;
    setDetail((old) => (old.state === "ready" ? old : { state: "loading" })); // a reload after a write keeps it
    api
      .GET("/api/v1/commission/statements/{statement_id}", { params: { path: { statement_id: props.id } } })
      .then(
        ({ data }) => !stop && setDetail(data ? { state: "ready", value: data } : { state: "error" }),
        () => !stop && setDetail({ state: "error" }),
      );
    return () => {
      stop = true;
    };
  }, [props.id, attempt]);
  const focused = useRef(false);
  useEffect(() => {
    // once shown, the panel takes the focus (keyboard and screen reader users land on its heading)
    if (detail.state === "ready" && !focused.current) {
      focused.current = true;
      heading.current?.focus();
    }
  }, [detail.state]);

  if (detail.state === "loading") return <section class="card statement-detail"><Loading /></section>;
  if (detail.state === "error")
    return <section class="card statement-detail"><ErrorState onRetry={() => setAttempt((n) => n + 1)} /></section>;
  const s = detail.value.statement;
  const lines = detail.value.lines;
  const currency = s.currency;
  const timezone = props.studio?.timezone ?? "UTC";
  const vars = { host: props.hostName(s.host_id), period: period(s), total: money(s.total, currency) };

  async function run(action: Action, reason: string) {
    setBusy(true);
    setOutcome(null);
    const path = { params: { path: { statement_id: s.statement_id } } };
    try {
      const { data, response } =
        action === "approve"
          ? await api.POST("/api/v1/commission/statements/{statement_id}/approve", path)
          : action === "pay"
            ? await api.POST("/api/v1/commission/statements/{statement_id}/pay", path)
            : await api.POST("/api/v1/commission/statements/{statement_id}/void", {
                ...path,
                body: { reason: reason || null },
              });
      const result = await settle(data, response);
      setOutcome(result.ok ? { ok: true, text: m(DONE[action]) } : { ok: false, text: t("refused", { error: result.error }) });
      if (result.ok) {
        setAsking(null);
        setAttempt((n) => n + 1);
        props.onChanged();
      }
    } catch {
      setOutcome({ ok: false, text: t("networkError") });
    } finally {
      setBusy(false);
    }
  }

  async function save() {
    setSaveError(null);
    const result = await download(
      `/api/v1/commission/statements/${encodeURIComponent(s.statement_id)}/lines.csv`,
      `statement-${s.statement_id.replace(/[^A-Za-z0-9_-]+/g, "_")}.csv`,
    ).catch(() => ({ ok: false as const, status: 0 }));
    if (!result.ok) setSaveError(m("downloadFailed", { status: result.status || t("networkError") }));
  }

  const confirmText = { approve: m("confirmApprove", vars), pay: m("confirmPay", vars), void: m("confirmVoid", vars) };
  return (
    <section class="card statement-detail" aria-labelledby="statement-heading" data-statement={s.statement_id}>
      <header>
        <h2 id="statement-heading" tabIndex={-1} ref={heading}>
          {m("lines", vars)}
        </h2>
        <button type="button" class="secondary" onClick={props.onClose}>
          {m("close")}
        </button>
      </header>
      <dl class="figures">
        <div class="figure big">
          <dt>{m("total")}</dt>
          <dd data-testid="statement-total">{s.total === null ? m("totalUnknown") : money(s.total, currency)}</dd>
        </div>
        <div class="figure">
          <dt>{m("status")}</dt>
          <dd>
            <span class={`pill status-${s.status}`} data-testid="statement-status">{statusLabel(s.status)}</span>
          </dd>
        </div>
      </dl>
      {s.approved_at && <p class="small muted">{m("approvedBy", { who: s.approved_by ?? UNKNOWN, at: dateTime(s.approved_at, timezone) })}</p>}
      {s.paid_at && <p class="small muted">{m("paidBy", { who: s.paid_by ?? UNKNOWN, at: dateTime(s.paid_at, timezone) })}</p>}
      {detail.value.attendance && (
        <p class="small" data-testid="statement-attendance">
          {m("attendance", {
            on_time: count(detail.value.attendance.on_time),
            late: count(detail.value.attendance.late),
            late_minutes: count(detail.value.attendance.late_minutes),
            left_early: count(detail.value.attendance.left_early),
            absent: count(detail.value.attendance.absent),
          })}
        </p>
      )}
      {lines.length === 0 ? (
        <Empty text={m("noLines")} />
      ) : (
        <div class="table-scroll">
          <table class="lines stack">
            <caption class="sr-only">{m("lines", vars)}</caption>
            <thead>
              <tr>
                <th scope="col">{m("description")}</th>
                <th scope="col">{m("session")}</th>
                <th scope="col" class="num">{m("base")}</th>
                <th scope="col" class="num">{m("amount")}</th>
              </tr>
            </thead>
            <tbody>
              {lines.map((line: Line) => (
                <tr key={line.line_id} data-line={line.line_id}>
                  <td>
                    {line.line_kind === "adjustment" && <span class="pill">{m("adjustment")}</span>} {line.description ?? line.rule_id ?? UNKNOWN}
                  </td>
                  <td>
                    {line.account_id && line.session_id !== null ? (
                      <a href={`/sessions/${encodeURIComponent(line.account_id)}/${line.session_id}`}>{m("sessionLink", { id: line.session_id })}</a>
                    ) : (
                      UNKNOWN
                    )}
                  </td>
                  <td class="num" data-label={m("base")}>{base(line.base)}</td>
                  <td class="num" data-label={m("amount")}>{money(line.amount, currency)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={3}>{m("total")}</th>
                <td class="num">{money(s.total, currency)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
      <div class="actions">
        <button type="button" class="secondary" onClick={save}>
          {m("downloadLines")}
        </button>
        {props.manage &&
          !asking &&
          actionsFor(s.status).map((action) => (
            <button
              key={action}
              type="button"
              class={action === "void" ? "danger-outline" : undefined}
              onClick={() => {
                setOutcome(null);
                setAsking(action);
              }}
            >
              {action === "approve" ? m("approve") : action === "pay" ? m("pay") : m("voidIt")}
            </button>
          ))}
      </div>
      {saveError && <p class="error" role="alert">{saveError}</p>}
      {asking && (
        <Confirm
          key={asking}
          action={asking}
          text={confirmText[asking]}
          busy={busy}
          onConfirm={(reason) => run(asking, reason)}
          onCancel={() => setAsking(null)}
        />
      )}
      {outcome && (
        <p class={outcome.ok ? "ok" : "error"} role={outcome.ok ? "status" : "alert"} data-testid="outcome">
          {outcome.text}
        </p>
      )}
    </section>
  );
}

/** The statements the caller may see, with filters, a detail panel and CSV downloads. */
/** `children` come between the page's heading and the statements (a host's own targets on their pay page). */
export function Statements(props: { title: string; manage: boolean; children?: ComponentChildren }) {
  useLang();
  const studios = useStudios();
  const [studioId, setStudioId] = useState("");
  const [month, setMonth] = useState("");
  const [status, setStatus] = useState<Status | "">("");
  const [list, setList] = useState<Load<{ items: Statement[]; next: string | null }>>({ state: "loading" });
  const [hosts, setHosts] = useState(new Map<string, string>());
  const [open, setOpen] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [more, setMore] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);

  const range = monthRange(month);
  const filters = {
    studio_id: studioId || undefined,
    status: status || undefined,
    period_from: range?.from,
    period_to: range?.to,
  };

  async function page(cursor: string | null) {
    const { data } = await api.GET("/api/v1/commission/statements", {
      params: { query: { ...filters, limit: 50, cursor: cursor ?? undefined } },
    });
    return data;
  }

  // A new filter shows "loading" (never the rows of the old one); a reload after a change keeps the rows.
  const filterKey = JSON.stringify(filters);
  const shownKey = useRef("");
  useEffect(() => {
    let stop = false;
    const same = shownKey.current === filterKey;
    shownKey.current = filterKey;
    setList((old) => (same && old.state === "ready" ? old : { state: "loading" }));
    page(null).then(
      (data) => !stop && setList(data ? { state: "ready", value: { items: data.items, next: data.next_cursor } } : { state: "error" }),
      () => !stop && setList({ state: "error" }),
    );
    return () => {
      stop = true;
    };
  }, [studioId, month, status, attempt]);

  useEffect(() => {
    api.GET("/api/v1/hosts").then(({ data }) => {
      if (data) setHosts(new Map(data.items.map((h) => [h.host_id, h.name])));
    });
  }, []);

  async function loadMore() {
    if (list.state !== "ready" || !list.value.next) return;
    setMore(true);
    try {
      const data = await page(list.value.next);
      if (data) setList({ state: "ready", value: { items: [...list.value.items, ...data.items], next: data.next_cursor } });
    } finally {
      setMore(false);
    }
  }

  async function saveList() {
    setSaveError(null);
    const result = await download(`/api/v1/commission/statements.csv${query(filters)}`, "statements.csv").catch(
      () => ({ ok: false as const, status: 0 }),
    );
    if (!result.ok) setSaveError(m("downloadFailed", { status: result.status || t("networkError") }));
  }

  const hostName = (id: string) => hosts.get(id) ?? id;
  const studioOf = (id: string) => studios.get(id);
  const opened = list.state === "ready" ? list.value.items.find((s) => s.statement_id === open) : undefined;

  return (
    <main id="main" class="pay">
      <div class="page-head">
        <h1>{props.title}</h1>
        <button type="button" class="secondary" onClick={saveList}>
          {m("downloadList")}
        </button>
      </div>
      {saveError && <p class="error" role="alert">{saveError}</p>}
      {props.children}
      <form class="filters card" onSubmit={(e) => e.preventDefault()} aria-label={m("filters")}>
        {studios.size > 1 && (
          <div>
            <label for="f-studio">{t("studio")}</label>
            <select id="f-studio" value={studioId} onChange={(e) => setStudioId(e.currentTarget.value)}>
              <option value="">—</option>
              {[...studios.values()].map((s) => (
                <option key={s.studio_id} value={s.studio_id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div>
          <label for="f-month">{m("month")}</label>
          <input id="f-month" type="month" value={month} aria-describedby="f-month-hint" onInput={(e) => setMonth(e.currentTarget.value)} />
          <span id="f-month-hint" class="small muted">{m("allMonths")}</span>
        </div>
        <div>
          <label for="f-status">{m("status")}</label>
          <select id="f-status" value={status} onChange={(e) => setStatus(e.currentTarget.value as Status | "")}>
            <option value="">{m("anyStatus")}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {m(s)}
              </option>
            ))}
          </select>
        </div>
      </form>
      {list.state === "loading" && <Loading />}
      {list.state === "error" && <ErrorState onRetry={() => setAttempt((n) => n + 1)} />}
      {list.state === "ready" && list.value.items.length === 0 && <Empty text={m("noStatements")} />}
      {list.state === "ready" && list.value.items.length > 0 && (
        <div class="table-scroll card">
          <table class="statements stack">
            <caption class="sr-only">{m("statements")}</caption>
            <thead>
              <tr>
                <th scope="col">{m("host")}</th>
                <th scope="col">{m("period")}</th>
                <th scope="col">{m("status")}</th>
                <th scope="col" class="num">{m("total")}</th>
                <th scope="col"><span class="sr-only">{m("actions")}</span></th>
              </tr>
            </thead>
            <tbody>
              {list.value.items.map((s) => (
                <tr key={s.statement_id} data-statement={s.statement_id} aria-current={s.statement_id === open ? "true" : undefined}>
                  <th scope="row">{hostName(s.host_id)}</th>
                  <td>{period(s)}</td>
                  <td>
                    <span class={`pill status-${s.status}`}>{statusLabel(s.status)}</span>
                  </td>
                  <td class="num">{s.total === null ? <span title={m("totalUnknown")}>{UNKNOWN}</span> : money(s.total, s.currency)}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary compact"
                      aria-expanded={s.statement_id === open}
                      aria-label={`${m("showLines")}: ${hostName(s.host_id)}, ${period(s)}`}
                      onClick={() => setOpen(s.statement_id === open ? null : s.statement_id)}
                    >
                      {m("showLines")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.value.next && (
            <button type="button" class="secondary" disabled={more} onClick={loadMore}>
              {m("loadMore")}
            </button>
          )}
        </div>
      )}
      {open && (
        <Detail
          key={open}
          id={open}
          manage={props.manage}
          hostName={hostName}
          studio={opened ? studioOf(opened.studio_id) : undefined}
          onChanged={() => setAttempt((n) => n + 1)}
          onClose={() => setOpen(null)}
        />
      )}
    </main>
  );
}
