// Attendance on the Hosts page (issue #20): each schedule entry of the week whose window has closed, on time,
// late by N minutes, absent or left early (GET /attendance), with a manager's correction-with-reason
// (POST /studios/{studio_id}/attendance/{entry_id}/correction). A corrected record shows the correction and,
// beside it, what was computed. Times in the studio's timezone; unknown minutes are "—", never 0.
import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { settle } from "../api/commands";
import type { Studio } from "../api/studios";
import { Empty, ErrorState, type Load, Loading } from "../components/States";
import { UNKNOWN, clock } from "../format";
import { messages, uiLocale } from "../i18n";

type Record_ = Schemas["AttendanceRecord"];
type Status = Record_["computed_status"] & string;
type Host = Schemas["Host"];

const STATUSES: Status[] = ["on_time", "late", "left_early", "absent"];

const m = messages({
  en: {
    title: "Attendance",
    intro: "Entries whose window has closed, from check-ins and the account's on-air time ({grace} min grace).",
    empty: "No attendance yet in this week.",
    day: "Day",
    host: "Host",
    window: "Window",
    status: "Status",
    late: "Late (min)",
    early: "Left early (min)",
    note: "Note",
    on_time: "On time",
    late_s: "Late",
    left_early: "Left early",
    absent: "Absent",
    pending: "Not computed yet",
    corrected: "Corrected ({was}): {reason}",
    computedWas: "computed: {status}",
    correct: "Correct",
    correctOf: "Correct attendance of {name}, {day}",
    lateMinutes: "Minutes late",
    earlyMinutes: "Minutes left early",
    reason: "Reason (required)",
    save: "Save correction",
    cancel: "Cancel",
    saving: "Saving…",
    saved: "Correction saved.",
    refused: "Not saved: {reason}",
    needReason: "Give a reason.",
    needMinutes: "Give the minutes (more than 0).",
  },
  id: {
    title: "Kehadiran",
    intro: "Jadwal yang sudah selesai, dari check-in dan waktu siaran akun (toleransi {grace} menit).",
    empty: "Belum ada data kehadiran minggu ini.",
    day: "Hari",
    host: "Host",
    window: "Jadwal",
    status: "Status",
    late: "Terlambat (menit)",
    early: "Pulang awal (menit)",
    note: "Catatan",
    on_time: "Tepat waktu",
    late_s: "Terlambat",
    left_early: "Pulang awal",
    absent: "Tidak hadir",
    pending: "Belum dihitung",
    corrected: "Dikoreksi ({was}): {reason}",
    computedWas: "hasil hitung: {status}",
    correct: "Koreksi",
    correctOf: "Koreksi kehadiran {name}, {day}",
    lateMinutes: "Menit terlambat",
    earlyMinutes: "Menit pulang awal",
    reason: "Alasan (wajib)",
    save: "Simpan koreksi",
    cancel: "Batal",
    saving: "Menyimpan…",
    saved: "Koreksi tersimpan.",
    refused: "Tidak tersimpan: {reason}",
    needReason: "Isi alasannya.",
    needMinutes: "Isi jumlah menit (lebih dari 0).",
  },
});

function statusLabel(status: Status | null | undefined): string {
  if (!status) return m("pending");
  return m(status === "late" ? "late_s" : status);
}

const PILL: Record<Status, string> = { on_time: "ok", late: "warn", left_early: "warn", absent: "bad" };

function minutes(value: number | null | undefined): string {
  return value === null || value === undefined ? UNKNOWN : String(value);
}

function dayOf(day: string): string {
  return new Intl.DateTimeFormat(uiLocale(), { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(
    new Date(`${day}T00:00:00Z`),
  );
}

interface Draft {
  entryId: string;
  status: Status;
  late: string;
  early: string;
  reason: string;
}

function CorrectionForm(props: { studio: Studio; record: Record_; name: string; draft: Draft; onChange: (d: Draft) => void; onDone: () => void; onCancel: () => void }) {
  const { draft, record } = props;
  const [state, setState] = useState<{ kind: "idle" | "saving" } | { kind: "error"; text: string }>({ kind: "idle" });
  const set = (field: keyof Draft) => (event: Event) => props.onChange({ ...draft, [field]: (event.currentTarget as HTMLInputElement).value });
  const save = async (event: Event) => {
    event.preventDefault();
    if (!draft.reason.trim()) return setState({ kind: "error", text: m("needReason") });
    const late = draft.status === "late" ? Number(draft.late) : null;
    const early = draft.status === "left_early" ? Number(draft.early) : null;
    if ((late !== null && !(late > 0)) || (early !== null && !(early > 0))) return setState({ kind: "error", text: m("needMinutes") });
    setState({ kind: "saving" });
    const { data, response } = await api.POST("/api/v1/studios/{studio_id}/attendance/{entry_id}/correction", {
      params: { path: { studio_id: props.studio.studio_id, entry_id: record.entry_id } },
      body: { status: draft.status, reason: draft.reason.trim(), late_minutes: late, left_early_minutes: early },
    });
    const outcome = await settle(data, response);
    if (outcome.ok) {
      setState({ kind: "idle" });
      props.onDone();
    } else setState({ kind: "error", text: m("refused", { reason: outcome.error }) });
  };
  const heading = `correct-h-${record.entry_id}`;
  return (
    <form class="attendance-form" onSubmit={save} aria-labelledby={heading}>
      <h3 id={heading}>{m("correctOf", { name: props.name, day: dayOf(record.local_day) })}</h3>
      <label>
        {m("status")}
        <select value={draft.status} onChange={set("status")}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
      </label>
      {draft.status === "late" && (
        <label>
          {m("lateMinutes")}
          <input type="number" min="1" max="1440" inputMode="numeric" value={draft.late} onInput={set("late")} required />
        </label>
      )}
      {draft.status === "left_early" && (
        <label>
          {m("earlyMinutes")}
          <input type="number" min="1" max="1440" inputMode="numeric" value={draft.early} onInput={set("early")} required />
        </label>
      )}
      <label class="wide-field">
        {m("reason")}
        <textarea maxLength={500} rows={2} value={draft.reason} onInput={set("reason")} required />
      </label>
      <div class="actions">
        <button type="submit" disabled={state.kind === "saving"}>
          {m("save")}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel} disabled={state.kind === "saving"}>
          {m("cancel")}
        </button>
      </div>
      {state.kind === "saving" && <p role="status">{m("saving")}</p>}
      {state.kind === "error" && (
        <p role="alert" class="error-text" data-testid="attendance-refusal">
          {state.text}
        </p>
      )}
    </form>
  );
}

async function allRecords(studioId: string, from: string, to: string): Promise<Record_[] | null> {
  const items: Record_[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) {
    const { data } = await api.GET("/api/v1/attendance", {
      params: { query: { studio_id: studioId, date_from: from, date_to: to, cursor, limit: 200 } },
    });
    if (!data) return null;
    items.push(...data.items);
    if (!data.next_cursor) break;
    cursor = data.next_cursor;
  }
  return items;
}

export function AttendanceCard(props: { studio: Studio; from: string; to: string; hosts: Map<string, Host> }) {
  const { studio, from, to } = props;
  const tz = studio.timezone;
  const [rows, setRows] = useState<Load<Record_[]>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    setRows((old) => (old.state === "ready" ? old : { state: "loading" }));
    allRecords(studio.studio_id, from, to).then(
      (value) => current && setRows(value ? { state: "ready", value } : { state: "error" }),
      () => current && setRows({ state: "error" }),
    );
    return () => {
      current = false;
    };
  }, [studio.studio_id, from, to, attempt]);
  const open = (r: Record_) => {
    setNotice(null);
    setDraft({
      entryId: r.entry_id,
      status: (r.status ?? "on_time") as Status,
      late: r.late_minutes ? String(r.late_minutes) : "",
      early: r.left_early_minutes ? String(r.left_early_minutes) : "",
      reason: "",
    });
  };
  const name = (hostId: string) => props.hosts.get(hostId)?.name ?? hostId;
  return (
    <section class="card" aria-labelledby="attendance-h" data-testid="attendance">
      <h2 id="attendance-h">{m("title")}</h2>
      <p class="muted small">{m("intro", { grace: String(studio.attendance_grace_minutes) })}</p>
      {notice && (
        <p role="status" class="ok-text">
          {notice}
        </p>
      )}
      {rows.state === "loading" && <Loading />}
      {rows.state === "error" && <ErrorState onRetry={() => setAttempt(attempt + 1)} />}
      {rows.state === "ready" && rows.value.length === 0 && <Empty text={m("empty")} />}
      {rows.state === "ready" && rows.value.length > 0 && (
        <div class="table-scroll">
          <table class="attendance-table">
            <thead>
              <tr>
                <th scope="col">{m("host")}</th>
                <th scope="col">{m("day")}</th>
                <th scope="col">{m("window")}</th>
                <th scope="col">{m("status")}</th>
                <th scope="col" class="num">{m("late")}</th>
                <th scope="col" class="num">{m("early")}</th>
                <th scope="col">{m("note")}</th>
                <th scope="col">
                  <span class="sr-only">{m("correct")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.value.map((r) => (
                <Fragment key={r.entry_id}>
                  <tr data-entry={r.entry_id}>
                    <th scope="row">{name(r.host_id)}</th>
                    <td>{dayOf(r.local_day)}</td>
                    <td>
                      {clock(r.starts_at, tz)}–{clock(r.ends_at, tz)}
                    </td>
                    <td>
                      <span class={`pill ${r.status ? PILL[r.status as Status] : ""}`}>{statusLabel(r.status as Status | null)}</span>
                    </td>
                    <td class="num" data-label={m("late")}>{minutes(r.late_minutes)}</td>
                    <td class="num" data-label={m("early")}>{minutes(r.left_early_minutes)}</td>
                    <td class="small">
                      {r.correction
                        ? m("corrected", {
                            was: m("computedWas", { status: statusLabel(r.computed_status as Status | null) }),
                            reason: r.correction.reason,
                          })
                        : ""}
                    </td>
                    <td>
                      <button type="button" class="secondary" onClick={() => open(r)} aria-label={`${m("correct")}: ${name(r.host_id)} ${dayOf(r.local_day)}`}>
                        {m("correct")}
                      </button>
                    </td>
                  </tr>
                  {draft?.entryId === r.entry_id && (
                    <tr class="attendance-form-row">
                      <td colSpan={8}>
                        <CorrectionForm
                          studio={studio}
                          record={r}
                          name={name(r.host_id)}
                          draft={draft}
                          onChange={setDraft}
                          onCancel={() => setDraft(null)}
                          onDone={() => {
                            setDraft(null);
                            setNotice(m("saved"));
                            setAttempt((n) => n + 1);
                          }}
                        />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
